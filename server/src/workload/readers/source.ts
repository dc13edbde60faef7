// What every record reader takes and gives back, besides the records it
// hands to its sink (records.ts).
import type { ReadOptions } from './common';
import type { RequestIds } from './records';

/** A reader's options: the file's limits, progress and field names; the model's checks come as RecordRules. */
export type SourceOptions = Omit<ReadOptions, 'model' | 'sampleTokens' | 'seed' | 'maxSequenceIds'>;

/** What a record reader read. */
export interface SourceSummary {
  /** Records given to the sink (tokens, or rows of counts). */
  records: number;
  /** The trace's request ids, in order of first appearance (empty when it has none). */
  requests: RequestIds;
  /** Which fields were used, what was skipped. */
  notes: string[];
  /** "jsonl, 7,889 records" */
  label: string;
  /** The records are counts of subsets (no token order), not tokens. */
  counts?: boolean;
}
