// The environments, registered once by id. Training, inference, export, the command line, the
// Train form and the benchmarks read this list; a new environment is one module and one line here.
import type { EnvSpec } from './spec';
import { POSITION } from './position';
import { TRADE_APPROVAL } from './tradeApproval';
import { FUNDING_ARBITRAGE } from './fundingArbitrage';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each spec has its own data type
export const ENVIRONMENTS: readonly EnvSpec<any>[] = [TRADE_APPROVAL, POSITION, FUNDING_ARBITRAGE];

/** The environment a new run starts on when none is chosen. */
export const DEFAULT_ENV_ID = POSITION.id;

export function findEnv(id: string): EnvSpec | undefined {
  return ENVIRONMENTS.find((e) => e.id === id);
}

/** The environment with this id; throws naming the ones there are. */
export function envSpec(id: string): EnvSpec {
  const spec = findEnv(id);
  if (!spec) throw new Error(`unknown environment "${id}"; the lab has ${ENVIRONMENTS.map((e) => e.id).join(', ')}`);
  return spec;
}
