// A behavior-cloning checkpoint in its self-describing envelope: a PolicyNet of `width` inputs,
// ReLU hidden layers, HOLD / BUY / SELL out.
import type { CheckpointEnvelope, CheckpointKind } from '../../core/run/contracts';
import { BC_ID } from './config';
import type { BcCheckpoint } from './types';

export const BC_ACTION_NAMES = ['hold', 'buy', 'sell'];

export function bcEnvelope(c: BcCheckpoint, kind: CheckpointKind = c.kind): CheckpointEnvelope<BcCheckpoint> {
  return { algorithm: BC_ID, kind, step: c.epoch, obsSize: c.width, numActions: 3, actionNames: [...BC_ACTION_NAMES], activation: 'relu', normalizer: c.normalizer, payload: c };
}
