"""WeCom (企业微信) customer contact: contacts, their change callbacks, and chats.

Each WeCom customer follows one to three staff members; each (staff, customer) relationship has
its own start time, remark, phone numbers typed by the staff, add way, channel `state` and tags
(plus, on some, `CDP-…` tags a previous sync wrote back). Over the period relationships start
(`add_external_contact`), get edited (a tag added), are dropped by the customer
(`del_follow_user`: kept in snapshots, sometimes re-added later) or by the staff
(`del_external_contact`: gone from later snapshots; a contact with no relationship left is gone
too). Snapshots are the `externalcontact/get` shape of every contact alive that day; interactions
are chats in and out on the days a relationship is active.
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import bad_rows, catalog, mobiles, purchases, text
from .people import Population, nickname_table
from .period import WORK_HOURS, Period
from .staff import Staff
from .text import DAY
from .writers import Zone, csv_header, csv_lines, json_lines, write_increment, write_snapshot

SOURCE = "wecom"
INTERACTIONS = ["interaction_id", "external_userid", "userid", "channel", "direction", "occurred_at"]
CHANGES = ["add_external_contact", "edit_external_contact", "add_half_external_contact",
           "del_external_contact", "del_follow_user"]
ADD, EDIT, HALF, DEL_CONTACT, DEL_FOLLOW = range(5)
CHANNELS = ["private_chat", "group_chat", "moments"]
NEVER = np.iinfo(np.int64).max
BASE_TAG_GROUPS = {"宝宝月龄": 0.35, "客户来源": 0.5, "兴趣": 0.4}
SLOTS = 3


@dataclass
class Relationships:
    contact: np.ndarray
    person: np.ndarray
    staff: np.ndarray
    start: np.ndarray
    edit: np.ndarray
    removed: np.ndarray
    blocked: np.ndarray
    readded: np.ndarray
    half: np.ndarray
    state: pa.Array


def _fate_times(rng: np.random.Generator, start: np.ndarray, chosen: np.ndarray, period: Period) -> np.ndarray:
    """A time inside the period after `start` for the chosen relationships, else NEVER."""
    lo = np.maximum(start + 3600, period.start)
    t = lo + (rng.random(len(start)) * np.maximum(period.end - lo, 0)).astype(np.int64)
    return np.where(chosen & (lo < period.end), t, NEVER)


def build_relationships(period: Period, pop: Population, staff: Staff, who: np.ndarray) -> Relationships:
    rng = period.rng("contacts")
    count = rng.choice([1, 2, 3], len(who), p=[0.7, 0.22, 0.08])
    contact = np.repeat(np.arange(len(who)), count)
    slot = np.arange(len(contact)) - np.repeat(np.cumsum(count) - count, count)
    people_staff = len(staff.store)
    first = staff.of_store(pop.home_store[who], rng)
    half = max(1, (people_staff - 1) // 2)
    step1, step2 = rng.integers(1, half + 1, len(who)), rng.integers(1, half + 1, len(who))
    offset = np.select([slot == 0, slot == 1], [0, step1[contact]], step1[contact] + step2[contact])
    member = (first[contact] + offset) % people_staff
    person = who[contact]
    later = pop.wecom_at[person] + rng.exponential(90 * DAY, len(contact)).astype(np.int64)
    start = np.where(slot == 0, pop.wecom_at[person], later)
    keep = start <= period.end
    contact, person, member, start = contact[keep], person[keep], member[keep], start[keep]
    n = len(contact)

    fate = rng.random(n)
    blocked = _fate_times(rng, start, fate < 0.05, period)
    removed = _fate_times(rng, start, (fate >= 0.05) & (fate < 0.07), period)
    edit = _fate_times(rng, start, rng.random(n) < 0.10, period)
    edit = np.where(edit < removed, edit, NEVER)
    readd = blocked + 3600 + rng.exponential(20 * DAY, n).astype(np.int64)
    readded = np.where((blocked != NEVER) & (rng.random(n) < 0.25) & (readd <= period.end), readd, NEVER)
    half = (start >= period.start + 1800) & (rng.random(n) < 0.015)

    qr = rng.random(n) < 0.85
    states = text.join("store_qr_", text.digits(staff.store[member] + 1, 3))
    campaigns = text.take(text.strings(["live_0012", "ad_spring", "moments_ad_03", "poster_618"]),
                          rng.integers(0, 4, n))
    state = text.choose(qr, states, campaigns)
    return Relationships(contact=contact, person=person, staff=member, start=start, edit=edit, removed=removed,
                         blocked=blocked, readded=readded, half=half, state=state)


def _tag_objects() -> tuple[pa.Array, dict[str, tuple[int, int]]]:
    """Every tag as its JSON object, and each group's (first index, size)."""
    objects, where = [], {}
    for group, tags in catalog.TAG_GROUPS.items():
        where[group] = (len(objects), len(tags))
        for tag in tags:
            tag_id = catalog.tag_id(group, tag)
            objects.append(f'{{"group_name":"{group}","tag_name":"{tag}","type":1,"tag_id":"{tag_id}"}}')
    return text.strings(objects), where


def _tag_lists(rng: np.random.Generator, n: int, edited: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """Each relationship's tags as JSON, before and after its edit (the edit adds a 客户等级 tag)."""
    objects, where = _tag_objects()
    columns = []
    for group, p in BASE_TAG_GROUPS.items():
        first, size = where[group]
        columns.append(np.where(rng.random(n) < p, first + rng.integers(0, size, n), -1))
    cdp = rng.random(n) < 0.10
    for group, p in (("CDP-lifecycle", 1.0), ("CDP-value_tier", 0.6)):
        first, size = where[group]
        columns.append(np.where(cdp & (rng.random(n) < p), first + rng.integers(0, size, n), -1))
    first, size = where["客户等级"]
    grade = first + rng.integers(0, size, n)
    base = np.stack(columns, axis=1)

    def joined(matrix: np.ndarray) -> pa.Array:
        present = matrix >= 0
        offsets = np.concatenate([[0], np.cumsum(present.sum(axis=1))]).astype(np.int32)
        lists = pa.ListArray.from_arrays(pa.array(offsets), objects.take(pa.array(matrix[present])))
        return pc.binary_join(lists, ",")

    after = np.concatenate([base[edited], grade[edited, None]], axis=1)
    return joined(base), joined(after)


def _follow_entries(rng: np.random.Generator, pop: Population, staff: Staff, rel: Relationships) -> pa.Array:
    """Each relationship's `follow_user` object; edited relationships get a second one after."""
    n = len(rel.contact)
    labels = text.take(text.strings(catalog.REMARK_LABELS), rng.integers(0, len(catalog.REMARK_LABELS), n))
    remark = text.choose(rng.random(n) < 0.6, text.join(pop.names(rel.person), "-", labels), "")
    with_mobile = rng.random(n) < 0.4
    numbers = pop.mobile[rel.person[with_mobile]]
    typed = mobiles.spoil(rng, mobiles.typed(rng, numbers), numbers, 0.003, 0.001)
    mobile = pc.replace_with_mask(text.constant(n), pa.array(with_mobile), text.join('"', typed, '"'))
    phones = len(pop.store_phone)
    shared = np.unique(rng.integers(0, n, phones * 4)) if n else np.zeros(0, np.int64)
    phone_of = rng.integers(0, phones, len(shared))
    mask = np.zeros(n, bool)
    mask[shared] = True
    mobile = pc.replace_with_mask(mobile, pa.array(mask),
                                  text.join('"', text.integers(pop.store_phone[phone_of]), '"'))
    ways = np.array([w for w, _ in catalog.ADD_WAYS])
    weights = np.array([p for _, p in catalog.ADD_WAYS], float)
    way = ways[rng.choice(len(ways), n, p=weights / weights.sum())]
    userid = staff.userid.take(pa.array(rel.staff))
    by_customer = (way == 1) | (way == 3)
    oper = text.choose(by_customer, pop.external_userid.take(pa.array(rel.person)), userid)
    state = text.choose(way == 1, rel.state, "")
    edited = rel.edit != NEVER
    base_tags, edited_tags = _tag_lists(rng, n, edited)
    pieces = ['{"userid":"', userid, '","remark":"', remark, '","description":"","createtime":',
              text.integers(text.epoch_seconds(rel.start)), ',"remark_mobiles":[', mobile, '],"add_way":',
              text.integers(way), ',"oper_userid":"', oper, '","state":"', state, '","tags":[']
    before = text.join(*pieces, base_tags, "]}")
    keep = pa.array(edited)
    after = text.join(*[p.filter(keep) if isinstance(p, pa.Array) else p for p in pieces], edited_tags, "]}")
    return pa.concat_arrays([before, after])


def _contact_cells(rng: np.random.Generator, pop: Population, who: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """The `external_contact` object of each contact, split before and after its external_userid."""
    n = len(who)
    wecom_user = rng.random(n) < 0.02
    real_name = rng.random(n) < 0.6
    name = text.choose(real_name, pop.names(who), text.take(nickname_table(for_json=True), pop.nickname[who]))
    gender = np.where(rng.random(n) < 0.9, pop.gender[who], 0)
    unionid = text.choose(pop.has_unionid[who] & ~wecom_user,
                          text.join(',"unionid":"', pop.unionid.take(pa.array(who)), '"'), "")
    head = text.join('"external_contact":{"external_userid":"', pop.external_userid.take(pa.array(who)), '"')
    body = text.join(',"name":"', name, '","type":', text.integers(np.where(wecom_user, 2, 1)), ',"gender":',
                     text.integers(gender), unionid, "}")
    return head, body


def write_contacts(zone: Zone, period: Period, pop: Population, staff: Staff, who: np.ndarray,
                   rel: Relationships, rate: float) -> None:
    rng = period.rng("contacts")
    entries = _follow_entries(rng, pop, staff, rel)
    n = len(rel.contact)
    edit_rank = np.cumsum(rel.edit != NEVER) - 1
    head, body = _contact_cells(rng, pop, who)

    def day(t: np.ndarray) -> np.ndarray:
        return np.where(t == NEVER, NEVER, t // DAY)

    start_day, edit_day, removed_day = day(rel.start), day(rel.edit), day(rel.removed)
    point_contact = np.concatenate([rel.contact, rel.contact, rel.contact])
    point_day = np.concatenate([start_day, edit_day, removed_day])
    real = point_day != NEVER
    base = point_day[real].min(initial=0)
    span = point_day[real].max(initial=0) - base + 1
    points = np.unique(point_contact[real] * span + point_day[real] - base)
    version_contact, version_from = points // span, points % span + base
    same_next = np.concatenate([version_contact[1:] == version_contact[:-1], [False]])
    version_to = np.where(same_next, np.concatenate([version_from[1:], [NEVER]]), NEVER)

    rels_of = np.bincount(rel.contact, minlength=len(who))
    first_rel = np.cumsum(rels_of) - rels_of
    r = first_rel[version_contact][:, None] + np.arange(SLOTS)[None, :]
    valid = np.arange(SLOTS)[None, :] < rels_of[version_contact][:, None]
    r = np.where(valid, r, 0)
    f = version_from[:, None]
    active = valid & (start_day[r] <= f) & ~(removed_day[r] <= f)
    entry = np.where(edit_day[r] <= f, n + edit_rank[r], r)
    shown = active.sum(axis=1) > 0
    active, entry = active[shown], entry[shown]
    version_contact, version_from, version_to = version_contact[shown], version_from[shown], version_to[shown]
    offsets = np.concatenate([[0], np.cumsum(active.sum(axis=1))]).astype(np.int32)
    follow = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), entries.take(pa.array(entry[active]))), ",")
    del entries
    vc = pa.array(version_contact)
    lines = json_lines({"external_userid": head.take(vc), "contact": body.take(vc),
                        "follow_user": text.join(',"follow_user":[', follow, "]")})
    del follow

    faults = bad_rows.Faults(period.rng("bad.external_contacts"), rate,
                             [bad_rows.missing("external_userid", '"external_contact":{"external_userid":""')])
    for d in period.snapshot_days():
        current = lines.filter(pa.array((version_from <= d) & (version_to > d)))
        rows, _, _ = faults.snapshot_rows(len(current))
        copies = pc.replace_substring_regex(current.take(pa.array(rows)), '"external_userid":"[^"]*"',
                                            '"external_userid":""', max_replacements=1)
        write_snapshot(zone, SOURCE, "external_contacts.jsonl", int(d), b"", current, copies)
    zone.report(SOURCE, "external_contacts.jsonl")


def write_contact_events(zone: Zone, period: Period, pop: Population, staff: Staff, rel: Relationships,
                         rate: float) -> None:
    rng = period.rng("contact_events")
    idx = np.arange(len(rel.contact))
    added = rel.start >= period.start
    half_at = rel.start - rng.integers(60, 1800, len(idx))
    parts = [
        (idx[rel.half], HALF, half_at[rel.half]),
        (idx[added], ADD, rel.start[added]),
        (idx[rel.edit != NEVER], EDIT, rel.edit[rel.edit != NEVER]),
        (idx[rel.blocked != NEVER], DEL_FOLLOW, rel.blocked[rel.blocked != NEVER]),
        (idx[rel.readded != NEVER], ADD, rel.readded[rel.readded != NEVER]),
        (idx[rel.removed != NEVER], DEL_CONTACT, rel.removed[rel.removed != NEVER]),
    ]
    r = np.concatenate([p[0] for p in parts])
    change = np.concatenate([np.broadcast_to(p[1], p[0].shape) for p in parts]).astype(np.int8)
    at = np.concatenate([p[2] for p in parts])
    order = np.argsort(at, kind="stable")
    r, change, at = r[order], change[order], at[order]
    corp = text.random_ids(rng, 1, "ww", 16, text.HEX)[0].as_py()
    head = f'"ToUserName":"{corp}","FromUserName":"sys","CreateTime":'
    changes = text.strings(CHANGES)
    welcome = rng.random(len(r)) < 0.8
    salt = int(rng.integers(0, 1 << 62))

    def render(lo: int, hi: int) -> dict[str, list]:
        rr, ch = r[lo:hi], change[lo:hi]
        adding = (ch == ADD) | (ch == HALF)
        codes = text.random_ids(np.random.default_rng([salt, lo]), hi - lo, "", 43)
        return {
            "create_time": [head, text.integers(text.epoch_seconds(at[lo:hi]))],
            "change_type": [',"MsgType":"event","Event":"change_external_contact","ChangeType":"',
                            text.take(changes, ch), '"'],
            "user_id": [',"UserID":"', staff.userid.take(pa.array(rel.staff[rr])), '"'],
            "external_user_id": [',"ExternalUserID":"', pop.external_userid.take(pa.array(rel.person[rr])), '"'],
            "state": [',"State":"', text.choose(adding, rel.state.take(pa.array(rr)), ""),
                      '","WelcomeCode":"', text.choose((ch == ADD) & welcome[lo:hi], codes, ""), '"'],
        }

    faults = bad_rows.Faults(period.rng("bad.contact_events"), rate, [
        bad_rows.missing("external_user_id", ',"ExternalUserID":""'),
        bad_rows.timestamp("create_time", wrap=head + '"{}"'),
    ])
    write_increment(zone, SOURCE, "contact_events.jsonl", b"", at // DAY, render, json_lines, faults)


def write_interactions(zone: Zone, period: Period, pop: Population, staff: Staff, rel: Relationships,
                       rate: float) -> None:
    rng = period.rng("interactions")
    n = len(rel.contact)
    begin = np.maximum(rel.start, period.start)
    stop = np.minimum.reduce([rel.removed, rel.blocked, pop.leaves[rel.person] + 60 * DAY,
                              np.full(n, period.end)])
    per_day = rng.gamma(0.7, 12 / 365 / 0.7, n)
    r, at = purchases.happenings(rng, np.arange(n), begin, stop, per_day, WORK_HOURS)
    m = len(r)
    channel = rng.choice(3, m, p=[0.72, 0.20, 0.08]).astype(np.int8)
    inbound = rng.random(m) < np.where(channel == 2, 0.7, 0.45)
    channels = text.strings(CHANNELS)
    directions = text.strings(["outbound", "inbound"])
    salt = int(rng.integers(0, 10**12))

    def render(lo: int, hi: int) -> dict[str, list]:
        rr = r[lo:hi]
        return {
            "interaction_id": ["IA", text.digits(text.scrambled(np.arange(lo, hi), 10**12, salt), 12)],
            "external_userid": pop.external_userid.take(pa.array(rel.person[rr])),
            "userid": staff.userid.take(pa.array(rel.staff[rr])),
            "channel": text.take(channels, channel[lo:hi]),
            "direction": text.take(directions, inbound[lo:hi].astype(np.int8)),
            "occurred_at": text.timestamp_pieces(at[lo:hi]),
        }

    faults = bad_rows.Faults(period.rng("bad.interactions"), rate, [
        bad_rows.missing("interaction_id"), bad_rows.unknown("channel", ("unknown", "wechat")),
        bad_rows.unknown("direction", ("unknown", "both")), bad_rows.timestamp("occurred_at"),
    ])
    write_increment(zone, SOURCE, "interactions.csv", csv_header(INTERACTIONS), at // DAY, render, csv_lines,
                    faults)


def write(zone: Zone, period: Period, pop: Population, staff: Staff, rate: float) -> None:
    who = np.flatnonzero(pop.in_wecom)
    who = who[np.argsort(pop.wecom_at[who], kind="stable")]
    rel = build_relationships(period, pop, staff, who)
    write_contacts(zone, period, pop, staff, who, rel, rate)
    write_contact_events(zone, period, pop, staff, rel, rate)
    write_interactions(zone, period, pop, staff, rel, rate)
