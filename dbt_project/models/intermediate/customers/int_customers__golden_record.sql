-- The golden record of every customer with a candidate (rules §1, profile fields): each
-- field's value from the best-ranked candidate that has one (the member system wins, then
-- WeCom, then the mini-program; within a source the newest record), never a blank over a
-- value. It holds the contact fields in clear: customer_profile publishes them masked and
-- customer_contacts goes to the restricted file only.
with

candidates as (
    select * from {{ ref('int_customers__profile_candidates') }}
),

final as (
    select
        customer_id,
        {{ arg_min_by('name', ['candidate_rank']) }}
        filter (where name is not null) as name,
        {{ arg_min_by('gender', ['candidate_rank']) }}
        filter (where gender is not null) as gender,
        {{ arg_min_by('birthday', ['candidate_rank']) }}
        filter (where birthday is not null) as birthday,
        {{ arg_min_by('mobile', ['candidate_rank']) }}
        filter (where mobile is not null) as mobile,
        {{ arg_min_by('unionid', ['candidate_rank']) }}
        filter (where unionid is not null) as unionid
    from candidates
    group by customer_id
)

select * from final
