-- The day's task list (playbook §15): every action proposed as of D that is not in cooldown,
-- one row per (customer, action), with its status under the contact policy (`issued`,
-- `control`, `deferred`, `suppressed`, `unreachable`), its channel and, for WeCom, the staff
-- member who owns the customer and the customer's external_userid. A staff member's list:
-- `status = 'issued' and owner_userid = '<userid>'` (customer_action_history holds the rules).
with

history as (
    select * from {{ ref('customer_action_history') }}
),

final as (
    select
        customer_id,
        action,
        action_zh,
        subject,
        priority,
        status,
        channel,
        owner_userid,
        external_userid,
        as_of_date
    from history
    where as_of_date = {{ as_of_date() }}
)

select * from final
