// The progress line of a long trace read, for commands that run an analysis:
// shown while the trace is read, cleared when the solving starts or the
// command ends.
import type { AnalysisProgress } from '../analysis/index';
import { describeReadProgress } from '../workload/readers/progress';
import type { CliIo } from './io';

export function readProgressLine(io: CliIo): { onProgress: (p: AnalysisProgress) => void; end(): void } {
  let shown = false;
  return {
    onProgress: (p) => {
      if (p.reading) {
        shown = true;
        io.progress?.(describeReadProgress(p.reading));
      } else if (shown) {
        shown = false;
        io.progress?.('');
      }
    },
    end: () => {
      if (shown) io.progress?.('');
      shown = false;
    },
  };
}
