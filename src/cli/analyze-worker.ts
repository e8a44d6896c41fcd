/**
 * Worker thread of `faxwire analyze` (see `streamInWorker` in analyze.ts): runs the streaming
 * analysis of one capture and posts its exit status (-1: take the buffering path).
 */

import { parentPort, workerData } from 'node:worker_threads';
import { runStreaming, type StreamJob } from './analyze.js';

const job = workerData as StreamJob;
const code = runStreaming(job.file, job.opts, job.json, job.extractDir, job.stats === true);
parentPort?.postMessage(code ?? -1);
