// The scenarios, each a short recipe over the base market: a segment of bars split into phases,
// each phase changing the drift, volatility, mean reversion, jumps and volume of the bars in it.
// Sizes are in units of the market's per-bar volatility σ, so a scenario looks alike on 5-minute
// and daily bars and on a calm or a wild market (calibration sets σ).

export interface Phase {
  /** Share of the segment's bars not taken by fixed-length phases... */
  share?: number;
  /** ... or a fixed number of bars. */
  bars?: number;
  /** Extra drift per bar, in σ (× the segment's direction). */
  drift?: number;
  /** Volatility multiplier (1). */
  vol?: number;
  /** Volume multiplier (1). */
  volume?: number;
  /** Bars over which vol and volume multipliers fade back toward 1 (e-folding); without it they hold for the whole phase. */
  decay?: number;
  /** Pull per bar of the log price back toward the phase's opening level (an Ornstein-Uhlenbeck range). */
  revert?: number;
  /** Jump-rate multiplier (1). */
  jumps?: number;
  /** The phase's first bar opens this many σ (± 25 %) away from the previous close (× direction): a gap. */
  openJump?: number;
  /** A move of this many σ spread evenly over the phase's bars (× direction)... */
  move?: number;
  /** ... but never larger than this log return. */
  moveCap?: number;
  /** Names the bar the phase starts at among the segment's events. */
  event?: string;
}

export interface ScenarioRecipe {
  name: ScenarioName;
  title: string;
  description: string;
  /** Length of a segment in bars: exactly this when scenarios take turns, the mean when they switch at random. */
  meanBars: number;
  minBars: number;
  /** 'either': each segment goes up or down at random (leaning back toward the start price); 'fixed': as written. */
  direction: 'fixed' | 'either';
  phases: Phase[];
}

export const SCENARIO_NAMES = ['uptrend', 'downtrend', 'range', 'breakout', 'reversal', 'gap_up', 'gap_down', 'news_shock', 'flash_crash'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export const SCENARIOS: Record<ScenarioName, ScenarioRecipe> = {
  uptrend: {
    name: 'uptrend', title: 'Uptrend', direction: 'fixed', meanBars: 288, minBars: 96,
    description: 'steady drift up of 0.12 σ a bar (about 2 σ over the segment beyond noise), volume a little above normal',
    phases: [{ share: 1, drift: 0.12, volume: 1.1 }],
  },
  downtrend: {
    name: 'downtrend', title: 'Downtrend', direction: 'fixed', meanBars: 288, minBars: 96,
    description: 'drift down of 0.12 σ a bar, 10 % more volatile and 20 % busier than the uptrend (falls are nervous)',
    phases: [{ share: 1, drift: -0.12, vol: 1.1, volume: 1.2 }],
  },
  range: {
    name: 'range', title: 'Range', direction: 'fixed', meanBars: 288, minBars: 96,
    description: 'the price pulled back 6 % a bar toward where the range opened (a spread of about 0.8 σ / √0.12 ≈ 2.3 σ around it), 0.8× volatility and volume, half the jumps',
    phases: [{ share: 1, revert: 0.06, vol: 0.8, volume: 0.8, jumps: 0.5 }],
  },
  breakout: {
    name: 'breakout', title: 'Breakout', direction: 'either', meanBars: 288, minBars: 96,
    description: 'a tight range (0.6× volatility, pulled back 8 % a bar, quiet volume) for 60 % of the segment, then a move of 0.35 σ a bar out of it on 2.5× volume and 1.4× volatility fading over 48 bars',
    phases: [
      { share: 0.6, revert: 0.08, vol: 0.6, volume: 0.7, jumps: 0.5 },
      { share: 0.4, drift: 0.35, vol: 1.4, volume: 2.5, decay: 48, event: 'breakout' },
    ],
  },
  reversal: {
    name: 'reversal', title: 'Reversal', direction: 'either', meanBars: 288, minBars: 96,
    description: 'a trend of 0.25 σ a bar for half the segment, then the opposite trend on 1.8× volume and 1.2× volatility fading over 24 bars',
    phases: [
      { share: 0.5, drift: 0.25 },
      { share: 0.5, drift: -0.25, vol: 1.2, volume: 1.8, decay: 24, event: 'turn' },
    ],
  },
  gap_up: {
    name: 'gap_up', title: 'Gap up', direction: 'fixed', meanBars: 144, minBars: 48,
    description: 'a quarter of the segment as usual, then a bar opening 10 σ (± 25 %) above the last close on 3× volume and 1.6× volatility fading over 12 bars',
    phases: [{ share: 0.25 }, { share: 0.75, openJump: 10, vol: 1.6, volume: 3, decay: 12, event: 'gap' }],
  },
  gap_down: {
    name: 'gap_down', title: 'Gap down', direction: 'fixed', meanBars: 144, minBars: 48,
    description: 'as the gap up, opening 10 σ (± 25 %) below the last close',
    phases: [{ share: 0.25 }, { share: 0.75, openJump: -10, vol: 1.6, volume: 3, decay: 12, event: 'gap' }],
  },
  news_shock: {
    name: 'news_shock', title: 'News shock', direction: 'either', meanBars: 144, minBars: 64,
    description: 'a scheduled release (as an FOMC decision): a quiet wait (0.7× volatility and volume) for 40 % of the segment, then a 4 σ jump either way and a burst of 5× volatility and volume fading over 10 bars',
    phases: [
      { share: 0.4, vol: 0.7, volume: 0.7 },
      { share: 0.6, openJump: 4, vol: 5, volume: 5, decay: 10, event: 'news' },
    ],
  },
  flash_crash: {
    name: 'flash_crash', title: 'Flash crash', direction: 'fixed', meanBars: 144, minBars: 64,
    description: 'a fall of 20 σ (at most 25 %) within 4 bars on 6× volume, then a recovery of 80 % of it over 30 bars, volatility fading',
    phases: [
      { share: 0.3 },
      { bars: 4, move: -20, moveCap: 0.25, vol: 2, volume: 6, event: 'crash' },
      { bars: 30, move: 16, moveCap: 0.2, vol: 1.5, volume: 3, decay: 15, event: 'recovery' },
      { share: 0.7, volume: 1.2 },
    ],
  },
};

/** The base market with nothing added: used to test calibration and as the neutral recipe. */
export const BASE_RECIPE: Omit<ScenarioRecipe, 'name'> & { name: 'base' } = {
  name: 'base', title: 'Base market', direction: 'fixed', meanBars: 1000, minBars: 1,
  description: 'the market alone (GBM, GARCH, jumps, volume profile), no scenario',
  phases: [{ share: 1 }],
};

/** Short names the command and the page accept for groups of scenarios. */
export const SCENARIO_ALIASES: Record<string, ScenarioName[]> = {
  trend: ['uptrend', 'downtrend'],
  gap: ['gap_up', 'gap_down'],
  shock: ['news_shock'],
  news: ['news_shock'],
  crash: ['flash_crash'],
  all: [...SCENARIO_NAMES],
};
/** Names that ask for a regime-switching mix instead of taking turns. */
export const MIX_NAMES = ['mix', 'regime_switching'];

/**
 * A comma-separated list of scenario names and short names → the scenarios (in catalogue order,
 * each once) and whether they switch at random. `mix` alone mixes all of them.
 */
export function parseScenarioList(text: string): { scenarios: ScenarioName[]; mix: boolean } {
  const words = text.split(',').map((w) => w.trim().toLowerCase().replace(/-/g, '_')).filter(Boolean);
  if (words.length === 0) throw new Error(`no scenarios named; choose from ${scenarioChoices()}`);
  const chosen = new Set<ScenarioName>();
  let mix = false;
  for (const w of words) {
    if (MIX_NAMES.includes(w)) mix = true;
    else if ((SCENARIO_NAMES as readonly string[]).includes(w)) chosen.add(w as ScenarioName);
    else if (SCENARIO_ALIASES[w]) for (const s of SCENARIO_ALIASES[w]) chosen.add(s);
    else throw new Error(`unknown scenario "${w}"; choose from ${scenarioChoices()}`);
  }
  const scenarios = chosen.size ? SCENARIO_NAMES.filter((s) => chosen.has(s)) : [...SCENARIO_NAMES];
  return { scenarios, mix };
}

export function scenarioChoices(): string {
  return [...SCENARIO_NAMES, ...Object.keys(SCENARIO_ALIASES), ...MIX_NAMES].join(', ');
}
