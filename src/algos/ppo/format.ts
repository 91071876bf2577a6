// A PPO run's records in the run folder: the on-policy format (onPolicy/format.ts) under PPO's id.
import type { CheckpointKind } from '../../core/run/contracts';
import { onPolicyEnvelope, onPolicyFormat, onPolicyReport } from '../onPolicy/format';
import type { PpoCheckpoint } from './trainer';
import { PPO_ID, type PpoRunConfig } from './config';

export const PPO_FORMAT = onPolicyFormat(PPO_ID, 'PPO run');

export const ppoEnvelope = (c: PpoCheckpoint, config: Pick<PpoRunConfig, 'env' | 'activation'>, kind: CheckpointKind = c.kind) => onPolicyEnvelope(PPO_ID, c, config, kind);

export const ppoReport = onPolicyReport;
