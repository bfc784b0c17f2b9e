import { APPEND_FUNCTION } from './migrations.js';

/** The store's statements, prepared by name on each pooled connection. */

export const REFRESH = {
  name: 'colloquy_refresh',
  text: `SELECT q.i::int AS i, c.no, c.bot_id, c.user_id, c.version, c.fence,
                CASE WHEN c.version = q.v THEN NULL ELSE c.state END AS state,
                a.last_seq, a.last_msg, a.data
           FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS q(id, v, h, i)
           JOIN conversations c ON c.id = q.id
           LEFT JOIN LATERAL (
             SELECT x.last_seq, x.last_msg, x.data FROM appends x
              WHERE x.conv = c.no AND x.last_seq > q.h ORDER BY x.last_seq DESC LIMIT $4
           ) a ON true`,
};
export const APPEND = {
  name: 'colloquy_append',
  text: `SELECT o_i, o_ok, o_no, o_head, o_version, o_fence FROM ${APPEND_FUNCTION}(
           $1::text[], $2::text[], $3::text[], $4::boolean[], $5::bigint[], $6::bigint[], $7::bigint[],
           $8::bigint[], $9::bigint[], $10::text[], $11::int[], $12::bigint[], $13::bigint[], $14::text[])`,
};
export const SINCE = {
  name: 'colloquy_since',
  text: `SELECT last_seq, data FROM appends WHERE conv = (SELECT no FROM conversations WHERE id = $1)
          AND last_seq > $2 ORDER BY last_seq LIMIT $3`,
};
export const TOTAL = {
  name: 'colloquy_total',
  text: `SELECT c.no, coalesce((SELECT a.last_msg FROM appends a WHERE a.conv = c.no ORDER BY a.last_seq DESC LIMIT 1), 0) AS total
           FROM conversations c WHERE c.id = $1`,
};
export const NEWEST_FIRST = {
  name: 'colloquy_newest_first',
  text: 'SELECT last_seq, last_msg, data FROM appends WHERE conv = $1 AND last_msg > $2 ORDER BY last_seq DESC',
};
export const HEADS = {
  name: 'colloquy_heads',
  text: `SELECT c.id, coalesce((SELECT a.last_seq FROM appends a WHERE a.conv = c.no ORDER BY a.last_seq DESC LIMIT 1), 0) AS head
           FROM conversations c WHERE c.id = ANY($1::text[])`,
};
