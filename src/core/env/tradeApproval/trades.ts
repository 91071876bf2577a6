// Open trades, bar by bar: the slots the environment keeps its open trades
// in: per copy, fixed-size arrays for the trades it holds and for the "shadow" trades it rejected,
// whose outcome is credited to the rejection when it is known; and how a trade exits inside one bar
// (the rules of playTradeInto, applied as the bars come rather than all at once).
import type { CandleColumns } from '../../features/layout';
import { EXIT_HORIZON, EXIT_LIQUIDATION, EXIT_STOP, EXIT_TAKE_PROFIT } from './signals';

export const EXIT_NONE = -1;

/** Fields of a trade to open (TradeSlots.draft). */
export const DRAFT_SIDE = 0;
export const DRAFT_LEVERAGE = 1;
/** Entry price after slippage. */
export const DRAFT_ENTRY = 2;
/** Take-profit and stop-loss distances, as fractions of the entry. */
export const DRAFT_TAKE_PROFIT = 3;
export const DRAFT_STOP_LOSS = 4;
export const DRAFT_LAST_ROW = 5;
export const DRAFT_NOTIONAL = 6;
export const DRAFT_MARGIN = 7;
export const DRAFT_ENTRY_FEE = 8;
/** The bar of the entry's fill (the trade's record, not its money). */
export const DRAFT_ENTRY_ROW = 9;
const DRAFT_FIELDS = 10;

/** Trade slots of every copy: `slots` per copy, struct of arrays, allocated once. */
export class TradeSlots {
  readonly active: Uint8Array;
  readonly side: Int8Array;
  readonly leverage: Float64Array;
  /** Entry price after slippage. */
  readonly entry: Float64Array;
  readonly tpPx: Float64Array;
  readonly slPx: Float64Array;
  readonly liqPx: Float64Array;
  /** 1 when the liquidation price comes before the stop. */
  readonly liqFirst: Uint8Array;
  /** The last bar the trade may stay open. */
  readonly lastRow: Int32Array;
  readonly notional: Float64Array;
  readonly margin: Float64Array;
  /** The fee paid at entry, in money. */
  readonly entryFee: Float64Array;
  /** The profit or loss at the last mark (before exit costs), in money. */
  readonly mark: Float64Array;
  /**
   * The trade is the whole proposal: a full approval, or a shadow of a whole rejection (not the
   * half of a warning either way).
   */
  readonly whole: Uint8Array;
  /**
   * The bar of the entry's fill, for the closed-trades list only: kept out of the state (arrays()),
   * whose layout saved checkpoints follow; −1 after a restore, where it is not known.
   */
  readonly entryRow: Int32Array;

  /** Maintenance margin: liquidation comes at an adverse move of 1/leverage − this. */
  constructor(readonly copies: number, readonly slots: number, readonly maintenance: number) {
    const n = copies * slots;
    this.active = new Uint8Array(n);
    this.side = new Int8Array(n);
    this.leverage = new Float64Array(n);
    this.entry = new Float64Array(n);
    this.tpPx = new Float64Array(n);
    this.slPx = new Float64Array(n);
    this.liqPx = new Float64Array(n);
    this.liqFirst = new Uint8Array(n);
    this.lastRow = new Int32Array(n);
    this.notional = new Float64Array(n);
    this.margin = new Float64Array(n);
    this.entryFee = new Float64Array(n);
    this.mark = new Float64Array(n);
    this.whole = new Uint8Array(n);
    this.entryRow = new Int32Array(n);
  }

  /** A free slot of copy i, or −1. */
  free(i: number): number {
    const base = i * this.slots;
    for (let k = 0; k < this.slots; k++) if (!this.active[base + k]) return base + k;
    return -1;
  }

  /**
   * The trade to open next, written field by field (DRAFT_*) before open(): passing a dozen numbers
   * to a call the compiler does not inline would box each of them, an allocation per step.
   */
  readonly draft = new Float64Array(DRAFT_FIELDS);

  /** Opens the draft trade in slot j; levels from the proposal's distances around its entry. */
  open(j: number, whole: boolean): void {
    const d = this.draft;
    const side = d[DRAFT_SIDE] > 0 ? 1 : -1, leverage = d[DRAFT_LEVERAGE], entry = d[DRAFT_ENTRY];
    const takeProfit = d[DRAFT_TAKE_PROFIT], stopLoss = d[DRAFT_STOP_LOSS];
    const liqDist = 1 / leverage - this.maintenance;
    this.active[j] = 1;
    this.side[j] = side;
    this.leverage[j] = leverage;
    this.entry[j] = entry;
    this.tpPx[j] = side > 0 ? entry * (1 + takeProfit) : entry * (1 - takeProfit);
    this.slPx[j] = side > 0 ? entry * (1 - stopLoss) : entry * (1 + stopLoss);
    this.liqPx[j] = side > 0 ? entry * (1 - liqDist) : entry * (1 + liqDist);
    this.liqFirst[j] = liqDist < stopLoss ? 1 : 0;
    this.lastRow[j] = d[DRAFT_LAST_ROW];
    this.notional[j] = d[DRAFT_NOTIONAL];
    this.margin[j] = d[DRAFT_MARGIN];
    this.entryFee[j] = d[DRAFT_ENTRY_FEE];
    this.mark[j] = 0;
    this.whole[j] = whole ? 1 : 0;
    this.entryRow[j] = d[DRAFT_ENTRY_ROW];
  }

  /**
   * The exit of the trade in slot j inside bar b: liquidation first when its price comes before the
   * stop, then the stop, then the take-profit (both in one bar counts as the stop); a bar that opens
   * through a level fills at its open; at the trade's last bar (or when `closing`), without either,
   * its close. Writes the raw exit price to out[0] and returns the exit kind, or EXIT_NONE when the
   * trade stays open. (It takes the bar by index: prices passed one by one would be boxed.)
   */
  exitIn(j: number, c: CandleColumns, b: number, closing: boolean, out: Float64Array): number {
    const open = c.open[b], high = c.high[b], low = c.low[b];
    const tpPx = this.tpPx[j], slPx = this.slPx[j], liqPx = this.liqPx[j], liqFirst = this.liqFirst[j] === 1;
    if (this.side[j] > 0) {
      if (liqFirst && low <= liqPx) { out[0] = liqPx; return EXIT_LIQUIDATION; }
      if (low <= slPx) { out[0] = open < slPx ? open : slPx; return EXIT_STOP; }
      if (high >= tpPx) { out[0] = open > tpPx ? open : tpPx; return EXIT_TAKE_PROFIT; }
    } else {
      if (liqFirst && high >= liqPx) { out[0] = liqPx; return EXIT_LIQUIDATION; }
      if (high >= slPx) { out[0] = open > slPx ? open : slPx; return EXIT_STOP; }
      if (low <= tpPx) { out[0] = open < tpPx ? open : tpPx; return EXIT_TAKE_PROFIT; }
    }
    if (closing || b >= this.lastRow[j]) { out[0] = c.close[b]; return EXIT_HORIZON; }
    return EXIT_NONE;
  }

  /** Empties copy i's slots. */
  clear(i: number): void {
    this.active.fill(0, i * this.slots, (i + 1) * this.slots);
  }

  /** The arrays by name, for an environment's state. */
  arrays(prefix: string): Record<string, Uint8Array | Int8Array | Float64Array | Int32Array> {
    return {
      [`${prefix}Active`]: this.active, [`${prefix}Side`]: this.side, [`${prefix}Leverage`]: this.leverage, [`${prefix}Entry`]: this.entry,
      [`${prefix}Tp`]: this.tpPx, [`${prefix}Sl`]: this.slPx, [`${prefix}Liq`]: this.liqPx, [`${prefix}LiqFirst`]: this.liqFirst,
      [`${prefix}LastRow`]: this.lastRow, [`${prefix}Notional`]: this.notional, [`${prefix}Margin`]: this.margin,
      [`${prefix}EntryFee`]: this.entryFee, [`${prefix}Mark`]: this.mark, [`${prefix}Whole`]: this.whole,
    };
  }
}
