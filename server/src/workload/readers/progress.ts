// Progress of a long trace read: throttled reports, and the one way every
// surface (the editor's progress UI, the CLI) words them.
import { basename } from 'node:path';
import type { ReadProgress } from '../types';
import { formatBytes } from './common';

/** Least time between two reports, ms. */
const PROGRESS_INTERVAL_MS = 250;

/**
 * A function a reader calls after each chunk with the bytes and records read
 * so far; it forwards a report at most every PROGRESS_INTERVAL_MS (and never
 * when nobody listens). `everyMs` is 0 in tests.
 */
export function progressReporter(
  file: string,
  totalBytes: number,
  onProgress: ((p: ReadProgress) => void) | undefined,
  everyMs = PROGRESS_INTERVAL_MS,
): (bytesRead: number, records: number) => void {
  if (!onProgress) return () => undefined;
  const started = performance.now();
  let last = started;
  return (bytesRead, records) => {
    const now = performance.now();
    if (now - last < everyMs) return;
    last = now;
    onProgress({ file, bytesRead, totalBytes, records, elapsedMs: now - started });
  };
}

/** Share of the file read, 0–1. */
export function readFraction(p: ReadProgress): number {
  return p.totalBytes > 0 ? Math.min(1, p.bytesRead / p.totalBytes) : 0;
}

/** "reading chat.jsonl: 120.0 MiB of 260.0 MiB (46%), 1,234,567 records, 1,020,000 records/s" */
export function describeReadProgress(p: ReadProgress): string {
  const rate = p.elapsedMs > 0 ? Math.round((p.records / p.elapsedMs) * 1000) : 0;
  return (
    `reading ${basename(p.file)}: ${formatBytes(p.bytesRead)} of ${formatBytes(p.totalBytes)} (${Math.round(readFraction(p) * 100)}%), ` +
    `${p.records.toLocaleString('en-US')} records, ${rate.toLocaleString('en-US')} records/s`
  );
}
