// An on-policy runner's sink that keeps everything in memory, with the tensor count after each update.
import * as tf from '@tensorflow/tfjs';
import type { OnPolicyCheckpoint, OnPolicySink } from '../../src/algos/onPolicy/runner';
import type { EvaluationRecord, UpdateRecord } from '../../src/core/run/contracts';

export class MemorySink implements OnPolicySink {
  episodes_: unknown[] = [];
  updates: UpdateRecord[] = [];
  evaluations: EvaluationRecord[] = [];
  checkpoints: OnPolicyCheckpoint[] = [];
  tensorsAfterUpdate: number[] = [];
  episodes(r: unknown[]) { this.episodes_.push(...r); }
  update(m: UpdateRecord) { this.updates.push(m); this.tensorsAfterUpdate.push(tf.memory().numTensors); }
  evaluation(e: EvaluationRecord) { this.evaluations.push(e); }
  checkpoint(c: OnPolicyCheckpoint) { this.checkpoints.push(c); }
}
