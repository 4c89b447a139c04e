-- The customers who are lost WeCom contacts as of D (rules §5): customers with at least one
-- WeCom relationship (int_wecom__relationships: every pair seen in a contact snapshot or
-- event dated ≤ D) whose latest event is, for every one of them, `del_follow_user` (the
-- customer removed or blocked the staff member).
with

relationships as (
    select * from {{ ref('int_wecom__relationships') }}
),

final as (
    select
        customer_id,
        count(*) as relationships
    from relationships
    group by customer_id
    having bool_and(removed_by_customer)
)

select * from final
