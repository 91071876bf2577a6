// The readiness checks the lab has, by environment: run before a long training (seed 001's
// "Training Status Report", made honest). An environment without one gets none offered.
import type { SettingValues } from '../core/settings';
import type { DatasetSource } from '../core/env/spec';
import { FUNDING_ARBITRAGE } from '../core/env/fundingArbitrage';
import { fundingReadiness, type ReadinessOptions, type ReadinessReport } from './fundingReadiness';

export interface ReadinessRequest {
  envId: string;
  datasetId: string;
  envSettings?: Partial<SettingValues>;
  /** Hidden layers of the networks the short training builds (default [512, 512], seed 001's size). */
  netArch?: number[];
}

type ReadinessCheck = (source: DatasetSource, o: ReadinessOptions) => Promise<ReadinessReport>;

const CHECKS: Readonly<Record<string, ReadinessCheck>> = { [FUNDING_ARBITRAGE.id]: fundingReadiness };

export function readinessCheckOf(envId: string): ReadinessCheck {
  const check = CHECKS[envId];
  if (!check) throw new Error(`The ${envId} environment has no readiness check.`);
  return check;
}
