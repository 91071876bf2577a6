// The algorithms, registered once by id. The training service, the worker, the run browser, the
// exports and imports, the command line and the Train form read this list; a new algorithm is one
// module and one line here.
import type { RunFormat } from '../core/run/format';
import type { AlgorithmSpec } from './spec';
import { BC } from './bc';
import { GRPO } from './grpo';
import { PPO } from './ppo';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each spec has its own config type
export const ALGORITHMS: readonly AlgorithmSpec<any>[] = [PPO, GRPO, BC];

/** The algorithm a new Train form starts on. */
export const DEFAULT_ALGORITHM_ID = PPO.id;

export function findAlgorithm(id: string): AlgorithmSpec | undefined {
  return ALGORITHMS.find((a) => a.id === id || a.id.toLowerCase() === id.toLowerCase());
}

/** The algorithm with this id; throws naming the ones there are. */
export function algorithmSpec(id: string): AlgorithmSpec {
  const spec = findAlgorithm(id);
  if (!spec) throw new Error(`unknown algorithm "${id}"; the lab trains ${ALGORITHMS.map((a) => a.id).join(', ')}`);
  return spec;
}

/** Every algorithm's run-folder format by id, for imports. */
export const RUN_FORMATS: Readonly<Record<string, RunFormat>> = Object.fromEntries(ALGORITHMS.map((a) => [a.id, a.format]));
