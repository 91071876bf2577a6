// The money view of a walk (an evaluation's, a backtest's, a played policy's): its equity curve
// after every cost beside buy-and-hold and the constructed baselines, the decisions that traded
// (for the price chart's markers), a blotter of its trades with their fees and P&L, and the
// totals. Built once where the walk is played and kept with its evaluation record, compactly (a
// few hundred points per curve, capped lists), so a run page draws it without replaying anything.
// Pure: no environment is named; what a trade is comes from the environment's markers.
import type { EvaluationRecord } from './contracts';

/** Points of each equity curve at most (a walk of more steps is sampled evenly, every window's end kept). */
export const MAX_POINTS = 600;
/** Trading decisions (markers) and blotter rows kept per walk at most. */
export const MAX_EVENTS = 1000;
export const MAX_TRADES = 500;

/** A marker's side code per step: none, long, short, flat (kept as small integers). */
export const SIDE_NONE = 0, SIDE_LONG = 1, SIDE_SHORT = 2, SIDE_FLAT = 3;
const SIDE_WORDS = ['', 'long', 'short', 'flat'];

export interface MoneyWindow {
  start_time: number;
  end_time: number;
  net_pnl_pct: number;
  reward: number;
  steps: number;
  /** Steps where the policy took the idle action (held, rejected). */
  idle: number;
  /** Fees and slippage of the window, % of the starting balance; null where not measured. */
  fees_pct: number | null;
  trades: number;
}

export interface MoneyTrade {
  /** The window (0-based) it was made in. */
  w: number;
  entry_time: number;
  entry_price: number;
  exit_time: number | null;
  exit_price: number | null;
  side: string;
  /** Notional at entry, in money; null where the walk cannot say. */
  size: number | null;
  /** What the decision was called where the size is a choice (approve / approve with a warning). */
  size_label?: string;
  /** Fees and slippage over the steps it was held, in money; null where not measured. */
  fees: number | null;
  /** Net P&L after every cost over the steps it was held, in money and in % of the starting balance; null where not separable. */
  pnl: number | null;
  pnl_pct: number | null;
  /** How it left (stop, take_profit, liquidation, horizon, episode_end, agent…), where the environment records it. */
  exit_reason?: string;
}

/** Trading decisions as parallel arrays: window, time, price, action, side code. */
export interface MoneyEvents { w: number[]; t: number[]; p: number[]; a: number[]; s: number[] }

export interface MoneyRecord {
  version: 1;
  /** What the environment's reward is counted in ("% return", "shaped score"). */
  reward_unit: string;
  starting_balance: number | null;
  /** Each point's epoch-ms time and the walk's compounded net P&L there, in % (windows back to back, the first point 0). */
  time: number[];
  policy: number[];
  buy_and_hold: number[] | null;
  baselines: { key: string; label: string; values: number[] }[];
  windows: MoneyWindow[];
  /** The idle action (hold, reject) and what each action is called. */
  idle_action: number;
  action_names: string[];
  /** The markers mark position changes (a position held) rather than every decision (a trade approved). */
  changes_only: boolean;
  events: MoneyEvents;
  events_total: number;
  trades: MoneyTrade[];
  trades_total: number;
  /** How the blotter's trades were made: from the environment's own trade records, or between position changes, or one per approval. */
  trades_from: 'records' | 'changes' | 'decisions';
  /** Fees and slippage of the whole walk, % of the starting balance summed over its windows; null where not measured. */
  fees_pct: number | null;
  /** Notional traded over the walk, in multiples of the starting balance summed over its windows; null where not measured. */
  turnover: number | null;
}

/** An evaluation record with its money view, where the lab made one (runs stored before have none). */
export interface MoneyEvaluation extends EvaluationRecord {
  money?: MoneyRecord;
}

export function moneyOf(e: EvaluationRecord | null | undefined): MoneyRecord | null {
  const m = (e as MoneyEvaluation | null | undefined)?.money;
  return m && m.version === 1 ? m : null;
}

export interface MoneyWalkInput {
  /** Per window: each step's decision bar, action, marker side code and net P&L (fraction of the starting balance). */
  rows: readonly (readonly number[])[];
  actions: readonly (readonly number[])[];
  sides: readonly (readonly number[])[];
  pnl: readonly (readonly number[])[];
  /** The same actions played without fees and slippage: each step's P&L (for the costs); null where not replayed. */
  gross: readonly (readonly number[])[] | null;
  /** Each window's reward and net P&L in % (the walk's own figures). */
  windows: readonly { reward: number; net_pnl_pct: number }[];
  /** Each window's trades as the environment records them (money), where it does. */
  tradeRecords: readonly (readonly Record<string, unknown>[])[] | null;
  time: Float64Array;
  price: (row: number) => number;
  /** Buy-and-hold in % from `start` to `end` (exclusive), as the baselines compute it; null where the market has none. */
  buyAndHold: ((start: number, end: number) => number | null) | null;
  baselines: readonly { key: string; label: string; pnl: readonly (readonly number[])[] }[];
  idleAction: number;
  actionNames: readonly string[];
  changesOnly: boolean;
  rewardUnit: string;
  startingBalance: number | null;
  /** A position's notional as a multiple of the equity (a position environment's leverage); null where positions have no one size. */
  positionSize: number | null;
  /** Fees plus slippage per unit of notional on every fill, for the turnover; null where unknown. */
  costRate: number | null;
}

const round = (x: number, digits = 4) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : 0);
const numberOr = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const timeOf = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' && v ? Date.parse(v.endsWith('Z') || /[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`) : null);

/** The money view of one walk. */
export function moneyOfWalk(x: MoneyWalkInput): MoneyRecord {
  const W = x.rows.length;
  const totalSteps = x.rows.reduce((n, r) => n + r.length, 0);
  const every = Math.max(1, Math.ceil(totalSteps / MAX_POINTS));
  const sb = x.startingBalance;
  // the curves: one point at the walk's start, then every `every` steps and at each window's end
  const time: number[] = [], policy: number[] = [], bh: number[] | null = x.buyAndHold ? [] : null;
  const base = x.baselines.map((b) => ({ key: b.key, label: b.label, values: [] as number[], carried: 1, pnl: b.pnl }));
  const firstRow = x.rows.find((r) => r.length)?.[0];
  if (firstRow !== undefined) {
    time.push(x.time[firstRow]);
    policy.push(0);
    bh?.push(0);
    for (const b of base) b.values.push(0);
  }
  let carried = 1, bhCarried = 1, bhOk = !!x.buyAndHold, global = 0;
  for (let w = 0; w < W; w++) {
    const rows = x.rows[w], pnl = x.pnl[w];
    const start = rows[0];
    let cum = 0;
    const baseCum = base.map(() => 0);
    for (let j = 0; j < rows.length; j++) {
      cum += pnl[j] ?? 0;
      base.forEach((b, k) => (baseCum[k] += b.pnl[w]?.[j] ?? 0));
      global++;
      if (global % every !== 0 && j !== rows.length - 1) continue;
      time.push(x.time[Math.min(rows[j] + 1, x.time.length - 1)]);
      policy.push(round((carried * (1 + cum) - 1) * 100));
      if (bh && bhOk) {
        const b = x.buyAndHold!(start, rows[j] + 2);
        if (b === null) bhOk = false;
        else bh.push(round((bhCarried * (1 + b / 100) - 1) * 100));
      }
      base.forEach((b, k) => b.values.push(round((b.carried * (1 + baseCum[k]) - 1) * 100)));
    }
    carried *= 1 + cum;
    if (bh && bhOk && rows.length) {
      const b = x.buyAndHold!(start, rows[rows.length - 1] + 2);
      bhCarried *= 1 + (b ?? 0) / 100;
    }
    base.forEach((b, k) => (b.carried *= 1 + baseCum[k]));
  }

  // costs per step: what the same actions made without them, less what they made
  const costs = x.gross && x.gross.every((g, w) => g.length === x.pnl[w].length) ? x.gross.map((g, w) => g.map((v, j) => v - x.pnl[w][j])) : null;

  const events: MoneyEvents = { w: [], t: [], p: [], a: [], s: [] };
  let eventsTotal = 0;
  const trades: MoneyTrade[] = [];
  let tradesTotal = 0;
  const windows: MoneyWindow[] = [];
  const pushTrade = (t: MoneyTrade) => {
    tradesTotal++;
    if (trades.length < MAX_TRADES) trades.push(t);
  };
  const money = (fraction: number) => (sb === null ? null : round(fraction * sb, 2));
  const tradesFrom: MoneyRecord['trades_from'] = x.tradeRecords ? 'records' : x.changesOnly ? 'changes' : 'decisions';
  for (let w = 0; w < W; w++) {
    const rows = x.rows[w], actions = x.actions[w], sides = x.sides[w], pnl = x.pnl[w], cost = costs?.[w] ?? null;
    let idle = 0, windowTrades = 0;
    // a position held from one change to the next (changes-only markers)
    let open: { from: number; side: number; equity: number } | null = null;
    let cum = 0;
    let last = SIDE_NONE;
    // the costs of a flip's step moved from the position it opens to the one it closes (half each: the same size both ways)
    let carriedFees = 0;
    const close = (j: number, through: number, flip = false) => {
      if (!open) return;
      // steps [open.from, through] are the position's: its entry's costs, its moves, its exit's costs
      let p = -carriedFees, f = carriedFees;
      carriedFees = 0;
      for (let k = open.from; k <= through; k++) { p += pnl[k] ?? 0; f += cost?.[k] ?? 0; }
      if (flip && cost) {
        const half = (cost[j] ?? 0) / 2;
        p -= half;
        f += half;
        carriedFees = -half;
      }
      const exitRow = j < rows.length ? rows[j] : Math.min(rows[rows.length - 1] + 1, x.time.length - 1);
      pushTrade({
        w, entry_time: x.time[rows[open.from]], entry_price: round(x.price(rows[open.from]), 6), exit_time: x.time[exitRow], exit_price: round(x.price(exitRow), 6),
        side: SIDE_WORDS[open.side], size: x.positionSize !== null && sb !== null ? round(x.positionSize * sb * open.equity, 2) : null,
        fees: cost ? money(f) : null, pnl: money(p), pnl_pct: round(p * 100),
      });
      windowTrades++;
      open = null;
    };
    for (let j = 0; j < rows.length; j++) {
      const a = actions[j], s = sides[j];
      if (a === x.idleAction) idle++;
      const marks = s !== SIDE_NONE && (!x.changesOnly || s !== last);
      if (marks) {
        eventsTotal++;
        if (events.w.length < MAX_EVENTS) {
          events.w.push(w); events.t.push(x.time[rows[j]]); events.p.push(round(x.price(rows[j]), 6)); events.a.push(a); events.s.push(s);
        }
        if (!x.tradeRecords) {
          if (x.changesOnly) {
            // the change's step goes to the position it opens; a move to flat closes on its own step
            if (s === SIDE_FLAT) close(j, j);
            else { close(j, j - 1, true); open = { from: j, side: s, equity: 1 + cum }; }
          } else if (a !== x.idleAction) {
            pushTrade({
              w, entry_time: x.time[rows[j]], entry_price: round(x.price(rows[j]), 6), exit_time: null, exit_price: null, side: SIDE_WORDS[s],
              size: null, size_label: x.actionNames[a] ?? String(a), fees: null, pnl: null, pnl_pct: null,
            });
            windowTrades++;
          }
        }
        last = s;
      }
      cum += pnl[j] ?? 0;
    }
    close(rows.length, rows.length - 1);
    // in the order they were entered (an environment records them as they close)
    const records = [...(x.tradeRecords?.[w] ?? [])].sort((a, b) => (timeOf(a.entry_time) ?? 0) - (timeOf(b.entry_time) ?? 0));
    for (const r of records) {
      const entry = timeOf(r.entry_time);
      if (entry === null) continue;
      const pnlMoney = numberOr(r.realized_pnl ?? r.net_pnl ?? r.pnl);
      const pctOwn = numberOr(r.net_pnl_pct);
      // kept to a hundredth of a cent (prices to six places): small in the stored record, and the trades still add up to their window
      const cents = (v: number | null) => (v === null ? null : round(v, 4));
      const price = (v: unknown) => { const p = numberOr(v); return p === null ? null : round(p, 6); };
      pushTrade({
        w, entry_time: entry, entry_price: price(r.entry_price ?? r.entry_long_price) ?? NaN, exit_time: timeOf(r.exit_time), exit_price: price(r.exit_price ?? r.exit_long_price),
        side: typeof r.side === 'string' ? r.side : typeof r.symbol === 'string' ? `hedge ${r.symbol}` : '—', size: cents(numberOr(r.size)),
        ...(typeof r.decision === 'string' ? { size_label: r.decision } : {}),
        fees: cents(numberOr(r.fees)), pnl: cents(pnlMoney),
        pnl_pct: pctOwn !== null ? round(pctOwn) : pnlMoney !== null && sb ? round((pnlMoney / sb) * 100) : null,
        ...(typeof r.exit_reason === 'string' ? { exit_reason: r.exit_reason } : {}),
      });
      windowTrades++;
    }
    const fees = cost ? cost.reduce((a, b) => a + b, 0) * 100 : x.tradeRecords && sb ? (x.tradeRecords[w] ?? []).reduce((a, r) => a + (numberOr(r.fees) ?? 0), 0) / sb * 100 : null;
    windows.push({
      start_time: x.time[rows[0] ?? 0], end_time: x.time[Math.min((rows[rows.length - 1] ?? 0) + 1, x.time.length - 1)],
      net_pnl_pct: round(x.windows[w]?.net_pnl_pct ?? pnl.reduce((a, b) => a + b, 0) * 100), reward: round(x.windows[w]?.reward ?? 0),
      steps: rows.length, idle, fees_pct: fees === null ? null : round(fees), trades: windowTrades,
    });
  }
  const feesPct = windows.every((w) => w.fees_pct !== null) && windows.length ? round(windows.reduce((a, w) => a + (w.fees_pct ?? 0), 0)) : null;
  return {
    version: 1, reward_unit: x.rewardUnit, starting_balance: sb, time, policy, buy_and_hold: bh && bhOk ? bh : null,
    baselines: base.map(({ key, label, values }) => ({ key, label, values })), windows,
    idle_action: x.idleAction, action_names: [...x.actionNames], changes_only: x.changesOnly,
    events, events_total: eventsTotal, trades, trades_total: tradesTotal, trades_from: tradesFrom,
    fees_pct: feesPct, turnover: feesPct !== null && x.costRate ? round(feesPct / 100 / x.costRate, 3) : null,
  };
}

/** The marker side code of an environment's marker kind. */
export function sideCode(kind: string | null): number {
  return kind === 'long' ? SIDE_LONG : kind === 'short' ? SIDE_SHORT : kind === 'flat' ? SIDE_FLAT : SIDE_NONE;
}

/** What an action is called in a sentence (approve_warning → approved with a warning); its own name otherwise. */
export function decisionWord(name: string): string {
  const words: Record<string, string> = { approve: 'approved', approve_warning: 'approved with warning', reject: 'rejected', hold: 'held', buy: 'bought', sell: 'sold' };
  return words[name] ?? name.replace(/_/g, ' ');
}

/** How a trade left, in words (take_profit → take-profit; an episode's end is its window's in a walk). */
export function exitWord(reason: string | undefined): string {
  if (!reason) return '—';
  const words: Record<string, string> = { take_profit: 'take-profit', stop: 'stop', stop_loss: 'stop-loss', liquidation: 'liquidation', horizon: 'horizon', episode_end: 'window end', agent: 'closed by the agent' };
  return words[reason] ?? reason.replace(/_/g, ' ');
}

/** One window's markers: time, price, the decision's name and side. */
export function windowEvents(m: MoneyRecord, w: number): { time: number; price: number; action: string; side: string }[] {
  const out: { time: number; price: number; action: string; side: string }[] = [];
  for (let k = 0; k < m.events.w.length; k++) {
    if (m.events.w[k] !== w) continue;
    out.push({ time: m.events.t[k], price: m.events.p[k], action: m.action_names[m.events.a[k]] ?? String(m.events.a[k]), side: SIDE_WORDS[m.events.s[k]] ?? '' });
  }
  return out;
}

/** The blotter's totals of one window, or of the whole walk (w = null). */
export function tradeTotals(m: MoneyRecord, w: number | null): { trades: number; fees: number | null; pnl: number | null; wins: number } {
  const ts = m.trades.filter((t) => w === null || t.w === w);
  const sum = (f: (t: MoneyTrade) => number | null) => (ts.some((t) => f(t) === null) || !ts.length ? (ts.length ? null : 0) : ts.reduce((a, t) => a + (f(t) ?? 0), 0));
  return { trades: ts.length, fees: sum((t) => t.fees), pnl: sum((t) => t.pnl), wins: ts.filter((t) => (t.pnl ?? 0) > 0).length };
}

/** Least-squares change of ys over their index, from the first to the last (its fitted line's rise). */
function fittedChange(ys: readonly number[]): number {
  const n = ys.length;
  const mx = (n - 1) / 2, my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) { sxy += (i - mx) * (ys[i] - my); sxx += (i - mx) ** 2; }
  return sxx ? (sxy / sxx) * (n - 1) : 0;
}

/**
 * A warning when the reward rose over a run's evaluations while their net P&L fell (both by their
 * fitted trend, so one noisy evaluation neither raises nor hides it): the policy learned the
 * reward's shape, not money. Null with fewer than three evaluations that have net P&L.
 */
export function rewardPnlDivergence(evaluations: readonly EvaluationRecord[], rewardUnit = ''): string | null {
  const es = evaluations.filter((e) => e.net_pnl_pct && Number.isFinite(e.mean_reward));
  if (es.length < 3) return null;
  const reward = es.map((e) => e.mean_reward), pnl = es.map((e) => e.net_pnl_pct!.mean);
  const dr = fittedChange(reward), dp = fittedChange(pnl);
  // a fall of under a hundredth of a percent is no fall (what the figures show)
  if (!(dr > 0) || !(dp < -0.01)) return null;
  const f = (v: number, d = 3) => `${v >= 0 ? '+' : ''}${v.toFixed(d)}`;
  const unit = rewardUnit ? ` ${rewardUnit}` : '';
  return `Reward rose while net P&L fell over ${es.length} evaluations: the reward's trend ${f(dr)}${unit} per window, net P&L's ${f(dp, 2)} % per window after fees (from ${f(pnl[0], 2)} % to ${f(pnl[pnl.length - 1], 2)} %). The policy is learning the reward's shape, not money.`;
}

/** "2024-03-01 14:05" in UTC, 24-hour, as the tables write times. */
export function utcMinute(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}
