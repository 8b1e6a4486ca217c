/**
 * Search across transcripts: every finished segment's text is indexed as it is stored (so a running
 * job's finished segments are searchable), and `search()` ranks segments for a query.
 *
 * | store      | index                                                   | rank (higher is better)  |
 * |------------|---------------------------------------------------------|--------------------------|
 * | SQLite     | `segment_search` + FTS5 `segment_search_fts` (external   | `-bm25()`                |
 * |            | content, kept in step by triggers; `ascii` tokenizer)    |                          |
 * | PostgreSQL | `segment_search.tsv` (tsvector literal), GIN index        | `ts_rank_cd(tsv, q, 1)`  |
 *
 * Both index the same terms (search-text.ts tokenises and stems; neither engine's own tokeniser or
 * text search configuration is involved), so both match the same segments; snippets are cut here from
 * the stored text, so they are identical too. Only the scores differ (BM25 against cover density),
 * hence ties and close calls may be ordered differently; equal scores go by job id, then segment index.
 * Index rows are keyed by job and segment index; they go with their job (ON DELETE CASCADE) and
 * with their segments (a resumed job whose plan changed drops both: JobStore.resumeSegments). A job
 * answered from the transcript cache has no segments; its transcript is indexed in pieces instead.
 */
import { basename } from 'node:path';
import { sql, type Kysely, type QueryCreator, type UpdateQueryBuilder } from 'kysely';
import { ParascribeError } from '../errors.js';
import type { StoreDialect } from './migrations.js';
import type { Database } from './schema.js';
import type { Utterance } from '../transcript.js';
import { fts5Match, indexTerms, makeSnippet, parseSearchQuery, textOfResult, tsqueryLiteral, tsvectorLiteral } from './search-text.js';

export interface SearchHit {
  jobId: string;
  /** The file's name: the client's file name for service jobs, else the source file's base name. */
  source: string;
  segmentIndex: number;
  /** The segment's absolute times in the recording. */
  startSec: number;
  endSec: number;
  /** Around the best match, matched words marked «like this», "…" where the text goes on. */
  snippet: string;
  /** Relevance, higher is better; comparable within one store only (BM25 on SQLite, cover density on PostgreSQL). */
  score: number;
}

export interface SearchOptions {
  /** Only this owner's jobs (the service: an API key's hash); undefined: every job (the CLI). */
  owner?: string | undefined;
  /** Hits per page (1–1000, default 20). */
  limit?: number | undefined;
  /** Hits to skip (0–100000). */
  offset?: number | undefined;
}

export interface SearchPage {
  hits: SearchHit[];
  /** Whether there is at least one hit after this page. */
  hasMore: boolean;
}

export const MAX_SEARCH_LIMIT = 1000;
export const MAX_SEARCH_OFFSET = 100_000;
/** How much of a cached transcript one index row holds (indexTranscript). */
export const TRANSCRIPT_PIECE_SEC = 60;

/** What an UPDATE that finishes a segment returns: the segment and its times. */
export type FinishedSegment = { job_id: string; idx: number; start_sec: number; end_sec: number };
export const FINISHED_SEGMENT_COLUMNS = ['job_id', 'idx', 'start_sec', 'end_sec'] as const;
export type SegmentUpdate = UpdateQueryBuilder<Database, 'transcription_segments', 'transcription_segments', FinishedSegment>;

interface IndexedText {
  text: string;
  terms: string[];
}

function indexedText(text: string | undefined): IndexedText | undefined {
  if (text === undefined) return undefined;
  const terms = indexTerms(text);
  return terms.length > 0 ? { text, terms } : undefined;
}

interface HitRow {
  job_id: string;
  idx: number;
  start_sec: number;
  end_sec: number;
  text: string;
  source: string;
  source_name: string | null;
  score: number;
}

export class SegmentSearch {
  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: StoreDialect,
  ) {}

  /**
   * Runs `update` (an UPDATE that finishes one segment, RETURNING FINISHED_SEGMENT_COLUMNS) and indexes
   * `resultJson`'s text for the segment it returned, atomically: one transaction on SQLite; one
   * statement on PostgreSQL (a data-modifying CTE, which the pool may send again after a lost
   * connection: a finishing UPDATE is guarded or sets values, and the index write is an upsert).
   * Returns whether the update changed a row.
   */
  async finishSegment(resultJson: string | null | undefined, update: (db: QueryCreator<Database>) => SegmentUpdate): Promise<boolean> {
    const doc = indexedText(textOfResult(resultJson));
    if (!doc) return (await update(this.db).execute()).length > 0;
    if (this.dialect === 'postgres') {
      const { rows } = await sql<{ job_id: string }>`
        with finished as (${update(this.db)})
        insert into segment_search (job_id, idx, start_sec, end_sec, text, terms, tsv)
        select job_id, idx, start_sec, end_sec, ${doc.text}, ${doc.terms.join(' ')}, ${tsvectorLiteral(doc.terms)}::tsvector from finished
        on conflict (job_id, idx) do update set start_sec = excluded.start_sec, end_sec = excluded.end_sec, text = excluded.text, terms = excluded.terms, tsv = excluded.tsv
        returning job_id`.execute(this.db);
      return rows.length > 0;
    }
    return this.db.transaction().execute(async (trx) => {
      const rows = await update(trx).execute();
      for (const row of rows) await upsertRow(trx, 'sqlite', row, doc);
      return rows.length > 0;
    });
  }

  /**
   * A job answered from the transcript cache has no segments: its transcript is indexed instead, in
   * pieces of about a minute (numbered 0, 1, … in place of segment indexes), so that the job is found
   * like any other. Each piece is one idempotent upsert.
   */
  async indexTranscript(jobId: string, transcript: { text: string; durationSec: number; utterances: readonly Utterance[] }): Promise<void> {
    for (const [idx, piece] of transcriptPieces(transcript).entries()) {
      const doc = indexedText(piece.text);
      if (doc) await upsertRow(this.db, this.dialect, { job_id: jobId, idx, start_sec: piece.startSec, end_sec: piece.endSec }, doc);
    }
  }

  /** Ranked hits for `q` (words: all of them; "quoted phrases": these words in order). */
  async search(q: string, options: SearchOptions = {}): Promise<SearchPage> {
    const query = parseSearchQuery(q);
    const limit = options.limit ?? 20;
    const offset = options.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) throw new ParascribeError('INVALID_ARGUMENT', `limit must be an integer from 1 to ${MAX_SEARCH_LIMIT}`);
    if (!Number.isInteger(offset) || offset < 0 || offset > MAX_SEARCH_OFFSET) throw new ParascribeError('INVALID_ARGUMENT', `offset must be an integer from 0 to ${MAX_SEARCH_OFFSET}`);
    const owner = options.owner === undefined ? sql`` : sql`and j.owner = ${options.owner}`;
    const tsquery = this.dialect === 'postgres' ? sql`${tsqueryLiteral(query)}::tsquery` : undefined;
    const statement = tsquery
      ? sql<HitRow>`
            select s.job_id, s.idx, s.start_sec, s.end_sec, s.text, j.source, j.source_name, ts_rank_cd(s.tsv, ${tsquery}, 1) as score
            from segment_search s
            join transcription_jobs j on j.id = s.job_id
            where s.tsv @@ ${tsquery} ${owner}
            order by score desc, s.job_id collate "C", s.idx
            limit ${limit + 1} offset ${offset}`
      : sql<HitRow>`
            select s.job_id, s.idx, s.start_sec, s.end_sec, s.text, j.source, j.source_name, -bm25(segment_search_fts) as score
            from segment_search_fts
            join segment_search s on s.id = segment_search_fts.rowid
            join transcription_jobs j on j.id = s.job_id
            where segment_search_fts match ${fts5Match(query)} ${owner}
            order by score desc, s.job_id, s.idx
            limit ${limit + 1} offset ${offset}`;
    const { rows } = await statement.execute(this.db);
    return {
      hits: rows.slice(0, limit).map((row) => ({
        jobId: row.job_id,
        source: row.source_name ?? basename(row.source),
        segmentIndex: Number(row.idx),
        startSec: Number(row.start_sec),
        endSec: Number(row.end_sec),
        snippet: makeSnippet(row.text, query),
        score: Number(Number(row.score).toPrecision(6)),
      })),
      hasMore: rows.length > limit,
    };
  }
}

/** Writes (or rewrites) one index row. On SQLite an UPDATE of an existing row, not a replace: the FTS5 triggers move its terms and its id (the FTS rowid) stays. */
async function upsertRow(db: Kysely<Database>, dialect: StoreDialect, row: FinishedSegment, doc: IndexedText): Promise<void> {
  const terms = doc.terms.join(' ');
  if (dialect === 'postgres') {
    await sql`insert into segment_search (job_id, idx, start_sec, end_sec, text, terms, tsv)
      values (${row.job_id}, ${row.idx}, ${row.start_sec}, ${row.end_sec}, ${doc.text}, ${terms}, ${tsvectorLiteral(doc.terms)}::tsvector)
      on conflict (job_id, idx) do update set start_sec = excluded.start_sec, end_sec = excluded.end_sec, text = excluded.text, terms = excluded.terms, tsv = excluded.tsv`.execute(db);
    return;
  }
  await db
    .insertInto('segment_search')
    .values({ job_id: row.job_id, idx: row.idx, start_sec: row.start_sec, end_sec: row.end_sec, text: doc.text, terms })
    .onConflict((oc) => oc.columns(['job_id', 'idx']).doUpdateSet({ start_sec: row.start_sec, end_sec: row.end_sec, text: doc.text, terms }))
    .execute();
}

/** Utterances (absolute times) in pieces of about `pieceSec`, utterances kept whole; the text alone when there are none. */
export function transcriptPieces(transcript: { text: string; durationSec: number; utterances: readonly Utterance[] }, pieceSec = TRANSCRIPT_PIECE_SEC): Array<{ startSec: number; endSec: number; text: string }> {
  const pieces: Array<{ startSec: number; endSec: number; text: string }> = [];
  for (const u of transcript.utterances) {
    if (u.text.trim() === '') continue;
    const last = pieces.at(-1);
    if (last && u.endSec - last.startSec <= pieceSec) {
      last.text += ` ${u.text.trim()}`;
      last.endSec = Math.max(last.endSec, u.endSec);
    } else {
      pieces.push({ startSec: u.startSec, endSec: u.endSec, text: u.text.trim() });
    }
  }
  if (pieces.length === 0 && transcript.text.trim() !== '') pieces.push({ startSec: 0, endSec: transcript.durationSec, text: transcript.text });
  return pieces;
}

/**
 * Indexes the segments finished before the index existed (the migration that creates it): completed
 * and reused segments with text, in pages of 500.
 */
export async function backfillSegmentSearch(db: Kysely<Database>, dialect: StoreDialect): Promise<number> {
  let indexed = 0;
  let after: { job_id: string; idx: number } | undefined;
  for (;;) {
    let page = db
      .selectFrom('transcription_segments')
      .select(['job_id', 'idx', 'start_sec', 'end_sec', 'result_json'])
      .where('status', 'in', ['completed', 'reused'])
      .where('result_json', 'is not', null);
    if (after) {
      const last = after;
      page = page.where((eb) => eb.or([eb('job_id', '>', last.job_id), eb.and([eb('job_id', '=', last.job_id), eb('idx', '>', last.idx)])]));
    }
    const rows = await page.orderBy('job_id').orderBy('idx').limit(500).execute();
    if (rows.length === 0) return indexed;
    for (const row of rows) {
      const doc = indexedText(textOfResult(row.result_json));
      if (!doc) continue;
      await upsertRow(db, dialect, row, doc);
      indexed++;
    }
    after = rows.at(-1)!;
  }
}
