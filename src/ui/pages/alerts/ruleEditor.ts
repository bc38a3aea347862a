/**
 * The rule editor: the form, live validation, the backtest preview and Save. Validation has two
 * levels: the form's own checks at every keystroke (a name, numbers, durations), then, 400 ms after
 * the typing stops, the API's — the backtest endpoint validates the rule exactly as saving would
 * (400 with invalid_params naming fields) and, when it is valid, answers what it would have done.
 * Each new check aborts the one before, so a slow answer never overwrites a newer one.
 */
import { ApiError, api, describeError, request } from '../../api.js';
import { h } from '../../dom.js';
import { backtestPreview, type BacktestRange } from './backtestPreview.js';
import type { BacktestAnswer, RuleBody, StoredRule } from './model.js';
import { ruleForm } from './ruleForm.js';

const DEBOUNCE_MS = 400;

export interface EditorOptions {
  rule: StoredRule | null;
  range: BacktestRange;
  signal: AbortSignal;
  onLeave(fn: () => void): void;
  onSaved(rule: StoredRule): void;
  onCancel(): void;
}

/** API names under the backtest's `rule.` prefix are the form's field names. */
function fieldErrors(err: ApiError): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of err.problem.invalid_params ?? []) {
    const name = p.name.replace(/^rule\./, '');
    out.set(name, out.has(name) ? `${out.get(name)!}; ${p.reason}` : p.reason);
  }
  return out;
}

export function ruleEditor(o: EditorOptions): HTMLElement {
  const form = ruleForm(o.rule);
  const preview = backtestPreview(o.range, o.signal);
  o.onLeave(() => preview.destroy());
  const general = h('p', { class: 'notice error', role: 'alert', 'data-testid': 'editor-error' });
  const status = h('span', { class: 'notice', 'data-testid': 'validation-status', 'aria-live': 'polite' });
  const save = h('button', { type: 'submit', class: 'primary', disabled: true }, o.rule ? 'Save changes' : 'Create rule');
  const cancel = h('button', { type: 'button', onclick: () => o.onCancel() }, 'Cancel');
  const el = h('form', { class: 'rule-editor', novalidate: true, 'aria-label': o.rule ? `Edit rule ${o.rule.name}` : 'New rule' },
    h('h2', {}, o.rule ? `Edit “${o.rule.name}”` : 'New rule'),
    form.el, general, h('div', { class: 'actions' }, save, cancel, status), preview.el);

  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: AbortController | null = null;
  let valid: RuleBody | null = null;

  /** Shows field messages; whatever names no visible field goes in the general line. */
  const showErrors = (errors: Map<string, string>): void => {
    general.textContent = form.showErrors(errors).join('; ');
  };

  async function check(body: RuleBody): Promise<void> {
    inFlight?.abort();
    const ctl = new AbortController();
    inFlight = ctl;
    const abort = (): void => ctl.abort();
    o.signal.addEventListener('abort', abort, { once: true });
    try {
      const answer = await request<BacktestAnswer>('POST', '/alerts/rules/backtest', {
        body: { rule: body, start_date: o.range.start, end_date: o.range.end }, signal: ctl.signal,
      });
      showErrors(new Map());
      valid = body;
      status.textContent = 'The rule is valid.';
      preview.show(answer, body.kind);
    } catch (err) {
      if (ctl.signal.aborted) return;
      if (err instanceof ApiError && err.status === 400) {
        const errors = fieldErrors(err);
        const ruleErrors = new Map([...errors].filter(([n]) => n !== 'start_date' && n !== 'end_date'));
        showErrors(ruleErrors);
        // A range the backtest refuses says nothing against the rule itself: it may still be saved.
        valid = ruleErrors.size === 0 ? body : null;
        status.textContent = valid ? 'The rule is valid.' : 'Fix the marked fields.';
        preview.error(valid ? `No backtest: ${describeError(err)}` : 'No backtest until the rule is valid.');
      } else {
        // The check failed for another reason (time limit, network): saving will validate again.
        valid = body;
        status.textContent = '';
        preview.error(`No backtest: ${describeError(err)}`);
      }
    } finally {
      o.signal.removeEventListener('abort', abort);
      if (inFlight === ctl) inFlight = null;
      save.disabled = valid === null;
    }
  }

  /** `quiet`: a new, untouched form is not yet wrong, only empty: say what to do instead of marking fields. */
  function changed(quiet = false): void {
    clearTimeout(timer);
    inFlight?.abort();
    valid = null;
    save.disabled = true;
    const { body, errors } = form.read();
    if (!quiet) showErrors(errors);
    if (errors.size) {
      status.textContent = quiet ? 'Give the rule a name and a condition.' : 'Fix the marked fields.';
      preview.stale('No backtest until the rule is valid.');
      return;
    }
    status.textContent = 'Checking…';
    timer = setTimeout(() => void check(body), DEBOUNCE_MS);
  }
  form.onChange(() => changed());
  o.onLeave(() => { clearTimeout(timer); inFlight?.abort(); });

  el.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = valid;
    if (!body) return;
    save.disabled = true;
    status.textContent = 'Saving…';
    const saving = o.rule ? api.put<StoredRule>(`/alerts/rules/${o.rule.id}`, body) : api.post<StoredRule>('/alerts/rules', body);
    saving.then((saved) => o.onSaved(saved)).catch((err: unknown) => {
      status.textContent = '';
      if (err instanceof ApiError && err.status === 400) showErrors(fieldErrors(err));
      else general.textContent = `Not saved: ${describeError(err)}`;
      save.disabled = false;
    });
  });

  changed(o.rule === null);
  return el;
}
