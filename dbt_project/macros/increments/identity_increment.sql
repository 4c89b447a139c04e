{#- Incremental identity graph (docs/incremental.md): after the occurrences, the edges, the
    shared identifiers, the graph's nodes and the stitching only redo, on a night, what the
    occurrences the night recorded (`recorded_as_of` after the table's own D) touch.

    identity_graph_settings(): what every table of the chain depends on besides its rows: the
      blocklist, the shared-identifier threshold and the SQL of each model of the chain. A
      change to any of them rebuilds the whole chain in full (`extract_increment`'s settings).
    drop_shared_identifiers(): post-hook of a table of the graph's nodes (see below). -#}

{% macro identity_graph_settings() -%}
    {#- A unit test's context has no graph: its SQL is the full build's anyway. -#}
    {%- set nodes = graph.get('nodes', {}) if execute else {} -%}
    {%- set checksums = {} -%}
    {%- for name in [
        'int_identity__identifier_occurrences',
        'int_identity__edges',
        'int_identity__shared_identifiers',
        'int_identity__kept_edges',
        'int_identity__identifiers',
        'int_identity__customer_identifiers',
    ] if nodes -%}
        {%- do checksums.update({name: nodes['model.cdp.' ~ name].checksum.checksum}) -%}
    {%- endfor -%}
    {{- return({
        'identity_blocklist': var('identity_blocklist'),
        'identity_max_links': var('identity_max_links'),
        'models': checksums,
    }) -}}
{%- endmacro %}

{#- Post-hook of a table of the graph's nodes: drops the identifiers that a night's edges made
    shared (a full build never holds them). -#}
{% macro drop_shared_identifiers() -%}
    {{- adapter.dispatch('drop_shared_identifiers')() -}}
{%- endmacro %}

{% macro default__drop_shared_identifiers() -%}
    delete from {{ this }}
    where identifier_key in (
        select identifier_key from {{ ref('int_identity__shared_identifiers') }}
    )
{%- endmacro %}

{#- Spark: the full build it always is (macros/engine/increments.sql) never holds one. -#}
{% macro spark__drop_shared_identifiers() -%}
    select 1
{%- endmacro %}
