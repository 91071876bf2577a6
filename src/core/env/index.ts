// The environments by name, for the training worker and the command line.

import { PositionEnv, type PositionEnvOptions, type PositionEpisode } from './position';
import { TradeApprovalEnv, type TradeApprovalEnvOptions, type TradeApprovalEpisode } from './tradeApproval';

export const ENV_NAMES = ['trade-approval', 'position'] as const;
export type EnvName = (typeof ENV_NAMES)[number];

export interface EnvOptionsByName {
  'trade-approval': TradeApprovalEnvOptions;
  position: PositionEnvOptions;
}
export interface EnvByName {
  'trade-approval': TradeApprovalEnv;
  position: PositionEnv;
}
export interface EpisodeByName {
  'trade-approval': TradeApprovalEpisode;
  position: PositionEpisode;
}

export function isEnvName(name: string): name is EnvName {
  return (ENV_NAMES as readonly string[]).includes(name);
}

/** Builds the named environment; the options are those of its class. */
export function createEnv<N extends EnvName>(name: N, opts: EnvOptionsByName[N]): EnvByName[N] {
  switch (name) {
    case 'trade-approval':
      return new TradeApprovalEnv(opts as TradeApprovalEnvOptions) as EnvByName[N];
    case 'position':
      return new PositionEnv(opts as PositionEnvOptions) as EnvByName[N];
    default:
      throw new Error(`unknown environment ${String(name)}; expected one of ${ENV_NAMES.join(', ')}`);
  }
}

export { PositionEnv, TradeApprovalEnv };
export type { PositionEnvOptions, PositionEpisode, TradeApprovalEnvOptions, TradeApprovalEpisode };
