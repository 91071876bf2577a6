// A version's model card, as JSON (model_card.json: what a program or an import reads) and as
// markdown (model_card.md: what a person reads): what goes in slot by slot, what comes out, how it
// did on validation and test beside buy-and-hold and never trading, and where its data came from.
import type { CheckpointEnvelope } from '../run/contracts';
import { sectionsMarkdown, mdText, type ReportCell, type ReportSection } from '../run/report';
import { datasetText, lineageText } from './lineage';
import type { ModelVersion, SegmentFigures } from './types';

export const CARD_FORMAT = 'rl-trading-lab/model-card';
export const CARD_VERSION = 1;

/**
 * The exported model's interface, as the ONNX export describes it: its input and output tensors
 * and a name (and where known a description) for each observation slot.
 */
export interface ModelInterface {
  input: { name: string; shape: (number | string)[] };
  output: { name: string; shape: (number | string)[]; meaning: string };
  slots: { name: string; description?: string }[];
  /** Every output in the model's order (probabilities, logits, strength…), where the export lists them. */
  outputs?: { name: string; shape: (number | string)[]; meaning: string }[];
  /** How a caller applies an environment's action mask to the output. */
  actionMask?: string;
  opset?: number;
}

export interface CardSlot {
  index: number;
  name: string;
  description: string | null;
  /** The training normalizer's mean and standard deviation of the slot, where the model normalizes. */
  mean: number | null;
  std: number | null;
}

export interface ModelCardJson {
  card_format: typeof CARD_FORMAT;
  card_version: number;
  model: string;
  version: number;
  created_at: string;
  /** The aliases it held when the card was written. */
  aliases: string[];
  lineage: string;
  source: ModelVersion['source'];
  dataset: ModelVersion['dataset'];
  metrics: ModelVersion['metrics'];
  io: ModelVersion['io'];
  tags: string[];
  notes: string;
  imported_from?: ModelVersion['imported_from'];
  inputs: { tensor: string | null; shape: (number | string)[]; dtype: 'float32'; normalization: string; slots: CardSlot[] };
  outputs: {
    tensor: string | null; shape: (number | string)[]; meaning: string; actions: { index: number; name: string }[];
    /** Every output of model.onnx, and how to apply an action mask to it. */
    all: { name: string; shape: (number | string)[]; meaning: string }[]; action_mask: string | null; opset: number | null;
  };
  /** The files beside the card and what each is. */
  files: Record<string, string>;
}

export const CARD_FILES: Record<string, string> = {
  'model.json': 'TensorFlow.js LayersModel (tf.loadLayersModel): normalized observations in, action logits out; the normalizer is in its userDefinedMetadata',
  'weights.bin': "the LayersModel's weights (little-endian float32)",
  'model.onnx': 'ONNX: raw observations in, action probabilities out (normalization inside); onnxruntime in Python, C#, any language',
  'model_card.json': 'this card, for programs',
  'model_card.md': 'this card, for people',
  'run/config.json': "the run's config.json (environment, settings): what playing the policy again needs",
  'run/trainer_state.json': "the checkpoint's whole state (weights, optimizer, normalizer), so the lab can play and compare it after an import",
};

export function modelCardJson(v: ModelVersion, aliases: readonly string[], c: CheckpointEnvelope, iface: ModelInterface | null, files: readonly string[]): ModelCardJson {
  const n = c.normalizer;
  const slots: CardSlot[] = Array.from({ length: c.obsSize }, (_, i) => ({
    index: i,
    name: iface?.slots[i]?.name ?? `obs_${i}`,
    description: iface?.slots[i]?.description ?? null,
    mean: n ? n.mean[i] ?? null : null,
    std: n && n.var[i] !== undefined ? Math.sqrt(n.var[i]) : null,
  }));
  const card: ModelCardJson = {
    card_format: CARD_FORMAT, card_version: CARD_VERSION,
    model: v.model, version: v.version, created_at: v.created_at, aliases: [...aliases],
    lineage: lineageText(v), source: v.source, dataset: v.dataset, metrics: v.metrics, io: v.io, tags: v.tags, notes: v.notes,
    inputs: {
      tensor: iface?.input.name ?? null, shape: iface?.input.shape ?? ['batch', c.obsSize], dtype: 'float32',
      normalization: n
        ? `model.onnx takes raw observations and normalizes inside; model.json takes normalized ones: clip((obs - mean) / sqrt(var + 1e-8), -${n.clip}, ${n.clip}), with the mean and var below (std = sqrt(var)) and in model.json's userDefinedMetadata`
        : 'none: the model takes the observations as they are',
      slots,
    },
    outputs: {
      tensor: iface?.output.name ?? null, shape: iface?.output.shape ?? ['batch', c.numActions],
      meaning: iface?.output.meaning ?? 'action probabilities (model.onnx); action logits (model.json); the greedy action is the largest among those allowed',
      actions: c.actionNames.map((name, index) => ({ index, name })),
      all: iface?.outputs ?? (iface ? [iface.output] : []), action_mask: iface?.actionMask ?? null, opset: iface?.opset ?? null,
    },
    files: Object.fromEntries(files.filter((f) => CARD_FILES[f]).map((f) => [f, CARD_FILES[f]])),
  };
  if (v.imported_from) card.imported_from = v.imported_from;
  return card;
}

const f2 = (x: number | null | undefined, unit = ' %') => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(2)}${unit}`);

function intervalText(s: SegmentFigures | null): string {
  const i = s?.net_pnl_pct;
  if (!i) return 'unknown';
  return i.low === null || i.high === null ? `${i.mean.toFixed(2)} %` : `${i.mean.toFixed(2)} % [${i.low.toFixed(2)}, ${i.high.toFixed(2)}]`;
}

/** One row of the metrics table: a walk's figures beside its baselines. */
function metricsRow(label: string, s: SegmentFigures | null): ReportCell[] {
  if (!s) return [{ text: label, strong: true }, 'unknown (not recorded by its run)', '—', '—', '—', '—', '—', '—', '—'];
  const hold = s.baselines.map((b) => `${b.label} ${f2(b.net_pnl_pct)}`).join('; ') || '—';
  return [
    { text: label, strong: true }, intervalText(s), f2(s.total_net_pnl_pct), f2(s.buy_and_hold_pct), hold,
    s.sharpe === null ? '—' : s.sharpe.toFixed(2), s.max_drawdown === null ? '—' : `${(100 * s.max_drawdown).toFixed(1)} %`,
    `${s.windows} windows, step ${s.step.toLocaleString('en-US')}`, s.verdict ?? '—',
  ];
}

export function modelCardMarkdown(card: ModelCardJson): string {
  const v = card;
  const segs = v.dataset.segments;
  const segText = (which: 'train' | 'validation' | 'test') => {
    const r = segs?.[which];
    if (!segs || !r) return 'unknown';
    const t = segs.times?.[which];
    return `${segs.unit} ${r[0].toLocaleString('en-US')}–${r[1].toLocaleString('en-US')}${t ? ` (${t[0]} to ${t[1]})` : ''}`;
  };
  const sections: ReportSection[] = [
    { kind: 'text', title: 'Lineage', parts: [v.lineage] },
    {
      kind: 'table', title: 'Results (net of fees and slippage, % per window with its 95 % interval)',
      note: 'validation: the walk that chose this checkpoint; test: the rows kept for the final evaluation, played once when the run ended',
      head: ['segment', 'net P&L per window [95 %]', 'whole walk', 'buy and hold', 'constructed baselines', 'Sharpe', 'max drawdown', 'walk', 'verdict'],
      rows: [metricsRow('validation', v.metrics.validation), metricsRow('test', v.metrics.test)],
    },
    {
      kind: 'table', title: 'Data', head: ['', ''],
      rows: [
        ['dataset', `${datasetText(v)} (id ${v.dataset.id || 'unknown'}, file ${v.dataset.file || 'unknown'})`],
        ['training rows', segText('train')], ['validation rows', segText('validation')], ['test rows', segText('test')],
        ['run', `${v.source.run_name} (${v.source.run_id}), ${v.source.algorithm}${v.source.env ? ` on ${v.source.env}` : ''}`],
        ['checkpoint', `${v.source.checkpoint} at step ${v.source.step.toLocaleString('en-US')} (${v.source.checkpoint_time || 'time unknown'})`],
      ],
    },
    {
      kind: 'table', title: `Inputs: ${v.inputs.tensor ?? 'observation'} [${v.inputs.shape.join(', ')}] float32`, note: `Normalization: ${v.inputs.normalization}.`,
      head: ['slot', 'name', 'description', 'training mean', 'training std'],
      rows: v.inputs.slots.map((s) => [s.index, s.name, s.description ?? '', s.mean === null ? '—' : +s.mean.toPrecision(6), s.std === null ? '—' : +s.std.toPrecision(6)]),
    },
    {
      kind: 'table', title: `Outputs: ${v.outputs.tensor ?? 'actions'} [${v.outputs.shape.join(', ')}]`, note: v.outputs.meaning,
      head: ['index', 'action'], rows: v.outputs.actions.map((a) => [a.index, a.name]),
    },
    ...(v.outputs.all.length ? [{
      kind: 'table' as const, title: `model.onnx's outputs${v.outputs.opset ? ` (opset ${v.outputs.opset})` : ''}`, note: v.outputs.action_mask ?? undefined,
      head: ['output', 'shape', 'meaning'], rows: v.outputs.all.map((o) => [o.name, `[${o.shape.join(', ')}]`, o.meaning]),
    }] : []),
    { kind: 'table', title: 'Files', head: ['file', 'what it is'], rows: Object.entries(v.files).map(([f, what]) => [f, what]) },
  ];
  const summary = Object.entries(v.metrics.summary);
  if (summary.length) sections.splice(2, 0, { kind: 'table', title: "The run's final metrics", head: ['metric', 'value'], rows: summary.map(([k, x]) => [k, x]) });
  const head = [
    `# ${mdText(v.model)} v${v.version}`, '',
    `Registered ${mdText(v.created_at)}${v.aliases.length ? ` · aliases: ${v.aliases.map(mdText).join(', ')}` : ''}${v.tags.length ? ` · tags: ${v.tags.map(mdText).join(', ')}` : ''}${v.imported_from ? ` · imported from ${mdText(v.imported_from.model)} v${v.imported_from.version}` : ''}`,
  ];
  if (v.notes.trim()) head.push('', ...v.notes.split(/\r?\n/).map((l) => `> ${mdText(l)}`));
  return [...head, ...sectionsMarkdown(sections)].join('\n') + '\n';
}
