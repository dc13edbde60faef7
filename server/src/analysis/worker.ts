// Worker-thread entry (bundled into dist/server.js, which runs it when started
// as a worker thread): loads workloads, solves
// layers and runs sweeps for the analysis coordinator. One job at a time.
import { parentPort } from 'node:worker_threads';
import { loadWorkload } from '../workload/load';
import { analyzeLayer } from './layer';
import { sweepLayer } from './sweep';
import { capacityLayer } from './capacityLayer';
import { sharePart, shareWorkload } from './shared';
import { syntheticPart } from '../workload/syntheticParts';
import { planExtras } from './extras';
import { pagingForResults } from '../cost/paging/forAnalysis';
import type { WorkerReply, WorkerRequest } from './messages';

async function run(req: WorkerRequest): Promise<unknown> {
  const job = req.job;
  switch (job.kind) {
    case 'load':
      return shareWorkload(
        await loadWorkload(job.plan, {
          maxBytes: job.maxTraceBytes,
          progressEveryMs: job.readProgressEveryMs,
          onProgress: (progress) => parentPort?.postMessage({ id: req.id, progress } satisfies WorkerReply),
          syntheticParts: job.syntheticParts,
        }),
      );
    case 'synthetic-part':
      return sharePart(syntheticPart(job.plan, job.spec, job.from, job.to));
    case 'layer':
      return analyzeLayer(job);
    case 'sweep':
      return sweepLayer(job);
    case 'capacity':
      return capacityLayer(job);
    case 'extras':
      return planExtras(job.plan, job.workload, job.placements, job.policy, job.batchSweep, job.planPoint);
    case 'paging':
      return pagingForResults(job.plan, job.workload, job.placements);
  }
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (req: WorkerRequest) => {
    run(req).then(
      (value) => port.postMessage({ id: req.id, ok: true, value } satisfies WorkerReply),
      (e: unknown) => {
        const err = e instanceof Error ? e : new Error(String(e));
        port.postMessage({ id: req.id, ok: false, error: { name: err.name, message: err.message } } satisfies WorkerReply);
      },
    );
  });
}
