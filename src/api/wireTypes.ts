/**
 * The API's answers as the dashboard (src/ui) reads them, inferred from the zod schemas the routes
 * validate and document their responses with: one source of truth, so a field removed or renamed in a
 * schema fails `tsc -p src/ui/tsconfig.json` wherever the dashboard reads it.
 *
 * Types only: the dashboard imports this file with `import type`, which the bundler erases, so neither
 * zod nor any server module reaches the bundle (src/ui/bundleImports.test.ts checks that).
 */
import type { z } from 'zod';
import type { storedRuleSchema } from '../alerts/rule.js';
import type { deliveryList, historyPage } from './routes/alertHistory.js';
import type { BacktestAnswer as BacktestAnswerType, ruleStateSchema } from './routes/alertRules.js';
import type { storedSilence } from './routes/alertSilences.js';
import type { endpointsBody, extentAnswer, sourcesAnswer, summaryAnswer, trafficBody } from './routes/analyticsBodies.js';
import type { detectAnswer, formatList } from './routes/formats.js';
import type { jobPage, jobSchema, rejectedLinePage, rejectionSummary } from './routes/jobs.js';
import type { logPage } from './routes/logs.js';
import type { sourceStatusList } from './routes/sources.js';
import type { uploadAnswer } from './routes/upload.js';
import type { problemSchema } from './schemas.js';

type Item<T extends { items: readonly unknown[] }> = T['items'][number];

/** RFC 9457 problem details, as every 4xx and 5xx answers. */
export type ProblemBody = z.infer<typeof problemSchema>;

// Analytics (src/api/routes/analyticsBodies.ts)
export type Summary = z.infer<typeof summaryAnswer>;
export type Traffic = z.infer<typeof trafficBody>;
export type TrafficPoint = Traffic['series'][number];
export type Endpoints = z.infer<typeof endpointsBody>;
export type EndpointRow = Item<Endpoints>;
export type Extent = z.infer<typeof extentAnswer>;
export type Sources = z.infer<typeof sourcesAnswer>;
export type SourceCount = Item<Sources>;

// Sources that send (GET /sources)
export type SourceStatusList = z.infer<typeof sourceStatusList>;
export type SourceStatus = Item<SourceStatusList>;

// Search (GET /logs; a live tail `record` event carries the same item)
export type LogPage = z.infer<typeof logPage>;
export type LogItem = Item<LogPage>;

// Uploads and ingest jobs
export type UploadAnswer = z.infer<typeof uploadAnswer>;
export type Job = z.infer<typeof jobSchema>;
export type JobPage = z.infer<typeof jobPage>;
export type RejectedLinePage = z.infer<typeof rejectedLinePage>;
export type RejectedLine = Item<RejectedLinePage>;
export type RejectionGroup = z.infer<typeof rejectionSummary>['groups'][number];
export type FormatList = z.infer<typeof formatList>;
export type FormatDoc = Item<FormatList>;
export type FormatPreview = z.infer<typeof detectAnswer>;
export type PreviewLine = FormatPreview['lines'][number];

// Alerts
export type StoredRule = z.infer<typeof storedRuleSchema>;
export type RuleState = z.infer<typeof ruleStateSchema>;
export type BacktestAnswer = BacktestAnswerType;
export type HistoryPage = z.infer<typeof historyPage>;
export type HistoryEntry = Item<HistoryPage>;
export type DeliveryList = z.infer<typeof deliveryList>;
export type Delivery = Item<DeliveryList>;
export type Silence = z.infer<typeof storedSilence>;
