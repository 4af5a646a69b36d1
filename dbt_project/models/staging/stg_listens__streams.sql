{#- Every stream of the listening files this build was given (var `listens`, staged by
    `wavehouse build --listens`: warehouse/listens/stage.py), one row per record, in one layout
    whatever the export. Only the fields named here are read: IP address, user agent, platform,
    country and the rest of an export never reach a table. played_at is the time the export gives:
    when the stream ended (Spotify) or started (ListenBrainz), UTC. Without --listens: no rows. -#}
{%- set listens = var('listens') -%}
{%- set formats = (listens or {}).get('formats', []) -%}
{%- set dir = (listens or {}).get('dir', '') -%}

with

{%- if formats %}
manifest as (
    select file, format, listener_name
    from read_csv({{ sql_string(dir ~ '/files.csv') }}, header = true,
                  columns = { 'file': 'varchar', 'format': 'varchar', 'listener_name': 'varchar' })
),
{%- endif %}

records as (
    {%- for format in formats %}
    {%- if not loop.first %}
    union all by name
    {%- endif %}
    {%- if format == 'spotify_extended' %}
    select parse_filename(filename) as file, 'spotify_extended' as source_format, null::varchar as row_listener,
           {{ utc_timestamp('ts') }} as played_at, ms_played,
           spotify_track_uri as track_ref, master_metadata_album_artist_name as artist_name,
           master_metadata_track_name as track_name, master_metadata_album_album_name as album_name,
           reason_start, reason_end, shuffle, skipped as export_skipped,
           coalesce(episode_name, spotify_episode_uri, audiobook_title, audiobook_uri) is not null as is_spoken,
           null::bigint as file_row
    from read_json({{ sql_string(dir ~ '/spotify_extended/*.json') }}, format = 'array', filename = true,
                   columns = {ts: 'varchar', ms_played: 'bigint', spotify_track_uri: 'varchar',
                              master_metadata_album_artist_name: 'varchar', master_metadata_track_name: 'varchar',
                              master_metadata_album_album_name: 'varchar', reason_start: 'varchar',
                              reason_end: 'varchar', shuffle: 'boolean', skipped: 'boolean',
                              episode_name: 'varchar', spotify_episode_uri: 'varchar',
                              audiobook_title: 'varchar', audiobook_uri: 'varchar'})
    {%- elif format == 'spotify_account' %}
    select parse_filename(filename) as file, 'spotify_account' as source_format, null::varchar as row_listener,
           {{ utc_timestamp('endTime') }} as played_at, msPlayed as ms_played, null::varchar as track_ref,
           artistName as artist_name, trackName as track_name, null::varchar as album_name,
           null::varchar as reason_start, null::varchar as reason_end, null::boolean as shuffle,
           null::boolean as export_skipped, false as is_spoken, null::bigint as file_row
    from read_json({{ sql_string(dir ~ '/spotify_account/*.json') }}, format = 'array', filename = true,
                   columns = {endTime: 'varchar', msPlayed: 'bigint', artistName: 'varchar', trackName: 'varchar'})
    {%- elif format == 'listenbrainz' %}
    select parse_filename(filename) as file, 'listenbrainz' as source_format, null::varchar as row_listener,
           make_timestamp(listened_at * 1000000) as played_at, null::bigint as ms_played,
           coalesce(json_extract_string(track_metadata.additional_info, '$.spotify_id'),
                    json_extract_string(track_metadata.additional_info, '$.spotify_track_id')) as track_ref,
           track_metadata.artist_name as artist_name, track_metadata.track_name as track_name,
           track_metadata.release_name as album_name,
           null::varchar as reason_start, null::varchar as reason_end, null::boolean as shuffle,
           null::boolean as export_skipped, false as is_spoken, null::bigint as file_row
    from read_json({{ sql_string(dir ~ '/listenbrainz/*.json') }}, format = 'auto', filename = true,
                   columns = {listened_at: 'bigint',
                              track_metadata: 'struct(artist_name varchar, track_name varchar, release_name varchar, additional_info json)'})
    {%- elif format == 'csv' %}
    select parse_filename(filename) as file, 'csv' as source_format, nullif(trim(listener), '') as row_listener,
           {{ utc_timestamp('played_at') }} as played_at, try_cast(nullif(ms_played, '') as bigint) as ms_played,
           nullif(trim(track), '') as track_ref, nullif(trim(artist), '') as artist_name,
           nullif(trim(title), '') as track_name, null::varchar as album_name,
           null::varchar as reason_start, null::varchar as reason_end, null::boolean as shuffle,
           null::boolean as export_skipped, false as is_spoken, try_cast("row" as bigint) as file_row
    from read_csv({{ sql_string(dir ~ '/csv/*.csv') }}, header = true, filename = true, all_varchar = true,
                  columns = {'track': 'varchar', 'artist': 'varchar', 'title': 'varchar',
                             'played_at': 'varchar', 'listener': 'varchar', 'ms_played': 'varchar', 'row': 'varchar'})
    {%- endif %}
    {%- endfor %}
    {%- if not formats %}
    select null::varchar as file, null::varchar as source_format, null::varchar as row_listener,
           null::timestamp as played_at, null::bigint as ms_played, null::varchar as track_ref,
           null::varchar as artist_name, null::varchar as track_name, null::varchar as album_name,
           null::varchar as reason_start, null::varchar as reason_end, null::boolean as shuffle,
           null::boolean as export_skipped, null::boolean as is_spoken, null::bigint as file_row
    where false
    {%- endif %}
)

select
    {%- if formats %}
    coalesce(records.row_listener, manifest.listener_name) as listener_name,
    {%- else %}
    records.row_listener as listener_name,
    {%- endif %}
    records.source_format,
    records.played_at,
    records.ms_played,
    {{ spotify_track_id('records.track_ref') }} as spotify_track_id,
    coalesce(
        records.track_ref like 'spotify:episode:%' or records.track_ref like '%/episode/%', false
    ) as ref_is_episode,
    nullif(trim(records.artist_name), '') as artist_name,
    nullif(trim(records.track_name), '') as track_name,
    nullif(trim(records.album_name), '') as album_name,
    records.reason_start,
    records.reason_end,
    records.shuffle,
    records.export_skipped,
    coalesce(records.is_spoken, false) as is_spoken,
    -- a stream with no time is told apart by its file and line (a CSV without times)
    case when records.played_at is null then records.file || ':' || records.file_row end as untimed_position
from records
{%- if formats %}
inner join manifest on manifest.file = records.file
{%- endif %}
