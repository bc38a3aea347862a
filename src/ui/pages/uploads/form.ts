import type { FormatDoc } from '../../../api/wireTypes.js';
import { h } from '../../dom.js';
import type { UploadOptions } from './send.js';

/** Zones offered first in the time-zone field; every zone the browser knows follows. */
const COMMON_ZONES = ['UTC', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Asia/Kolkata', 'Asia/Tokyo', 'Australia/Sydney'];

/** Formats that need the pasted line: the label says which syntax. */
const CUSTOM: Record<string, string> = { nginx: 'nginx log_format', apache: 'Apache LogFormat' };

/**
 * The upload form: a drop zone that is also a labelled file input (keyboard and screen-reader users
 * choose files the usual way), the source, the format and the time zone of timestamps written without
 * one (empty: UTC; the server checks the name and refuses an unknown one). `onFiles` gets the files
 * with the options as they stand, or is not called when the options are incomplete.
 */
export function uploadForm(formats: FormatDoc[], onFiles: (files: File[], opts: Omit<UploadOptions, 'source'> & { source: string | null }) => void): HTMLElement {
  const fileInput = h('input', { type: 'file', multiple: true, id: 'upload-files', class: 'file-input' });
  const source = h('input', { type: 'text', name: 'source', maxlength: 200, placeholder: 'from the file name', autocomplete: 'off' });
  const format = h('select', { name: 'format', 'aria-describedby': 'format-description' },
    ...formats.map((f) => h('option', { value: f.name, title: f.description },
      f.name === 'auto' ? 'auto (detect)' : CUSTOM[f.name] ? `${CUSTOM[f.name]} (paste it below)` : `${f.name} — ${f.description}`)));
  format.value = 'auto';
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zones = [...new Set([...COMMON_ZONES, own, ...(Intl.supportedValuesOf?.('timeZone') ?? [])])];
  const tz = h('input', { type: 'text', name: 'tz', maxlength: 64, placeholder: 'UTC', autocomplete: 'off', spellcheck: 'false', list: 'upload-zones',
    title: `For timestamps written without a zone (error logs): an IANA name such as ${own}, or an offset such as +05:30. Empty: UTC. Timestamps with an offset keep theirs.` });
  const zoneList = h('datalist', { id: 'upload-zones' }, ...zones.map((z) => h('option', { value: z })));
  const logFormat = h('textarea', { name: 'log_format', rows: 2, cols: 60, maxlength: 8192, spellcheck: 'false',
    placeholder: '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"' });
  const logFormatLabel = h('span', {}, 'nginx log_format');
  const logFormatField = h('label', { class: 'field wide', hidden: true }, logFormatLabel, logFormat);
  // What the chosen format is: its description, and for a preset the line of server configuration and an example line.
  const description = h('p', { class: 'muted format-description', id: 'format-description' });
  const definition = h('code', {});
  const example = h('code', {});
  const doc = h('dl', { class: 'fields format-doc', 'data-testid': 'format-doc', hidden: true },
    h('dt', {}, 'Definition'), h('dd', {}, definition), h('dt', {}, 'Example'), h('dd', {}, example));
  const problem = h('p', { class: 'notice error', role: 'alert', hidden: true });
  const syncFormat = () => {
    const custom = CUSTOM[format.value];
    logFormatField.hidden = !custom;
    logFormatLabel.textContent = custom ?? '';
    const chosen = formats.find((f) => f.name === format.value);
    description.textContent = chosen?.description ?? '';
    doc.hidden = !chosen?.definition;
    definition.textContent = chosen?.definition ?? '';
    example.textContent = chosen?.example ?? '';
  };
  format.addEventListener('change', syncFormat);
  syncFormat();

  const take = (list: FileList | null | undefined) => {
    const files = [...(list ?? [])];
    if (files.length === 0) return;
    problem.hidden = true;
    if (CUSTOM[format.value] && !logFormat.value.trim()) {
      problem.hidden = false;
      problem.textContent = `Paste the ${CUSTOM[format.value]} line first, or choose another format.`;
      return;
    }
    onFiles(files, {
      source: source.value.trim() || null, format: format.value, logFormat: CUSTOM[format.value] ? logFormat.value.trim() : null, tz: tz.value.trim() || null,
    });
  };
  fileInput.addEventListener('change', () => {
    take(fileInput.files);
    fileInput.value = ''; // the same file chosen again is a new upload (the API then says duplicate)
  });

  const zone = h('div', { class: 'drop-zone', 'data-testid': 'drop-zone' },
    h('p', {}, h('strong', {}, 'Drop log files here'), ' (plain text or .gz, one or several), or ',
      h('label', { for: 'upload-files', class: 'file-label' }, 'choose log files'), '.'),
    fileInput);
  zone.addEventListener('dragover', (ev) => {
    ev.preventDefault(); // without it the browser opens the file instead of dropping it here
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    take(ev.dataTransfer?.files);
  });

  return h('section', { class: 'panel upload-form', 'aria-label': 'Upload' },
    h('div', { class: 'upload-options' },
      h('label', { class: 'field' }, h('span', {}, 'Source'), source),
      h('label', { class: 'field format-field' }, h('span', {}, 'Format'), format),
      h('label', { class: 'field' }, h('span', {}, 'Time zone'), tz, zoneList)),
    description, doc,
    logFormatField,
    zone, problem);
}
