// The environments: the registry, and what each spec is made of.
export { DEFAULT_ENV_ID, ENVIRONMENTS, envSpec, findEnv } from './registry';
export type { DatasetSource, EnvCreateOptions, EnvData, EnvSpec, EpisodeChart, EpisodeSeries, TradeMarkerKind } from './spec';
export type { Segment, VecEnv } from './types';
