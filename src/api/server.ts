import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config.js';
import { packageVersion } from '../config/packageVersion.js';
import type { Db } from '../db/db.js';
import { installAuth, requestOwner } from './auth.js';
import { installAuthDisabledGuard } from './authDisabledGuard.js';
import { dashboardRoutes, defaultUiDir } from './dashboard.js';
import type { LiveJournal } from '../live/journal.js';
import { elasticsearchRoutes } from './routes/elasticsearch.js';
import { lokiRoutes } from './routes/loki.js';
import { otlpRoutes } from './routes/otlp.js';
import { ingestStreamRoutes } from './routes/ingestStream.js';
import { sourceRoutes } from './routes/sources.js';
import { registerSilenceGauge } from '../live/sourceActivity.js';
import { installDeadline } from './deadline.js';
import { installMergePatchParser } from './mergePatchBody.js';
import { documentComponents, documentRoute } from './openApi.js';
import { AppError, errorHandler, sendProblem } from './errors.js';
import { QuerySlots } from './querySlots.js';
import { OneLinePerRequest } from './requestLog.js';
import { installUnknownQueryParamCheck } from './unknownQueryParams.js';
import { apiKeyRoutes } from './routes/apiKeys.js';
import { analyticsRoutes } from './routes/analytics.js';
import { formatRoutes } from './routes/formats.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { logRoutes } from './routes/logs.js';
import { createLogTail, logTailRoutes } from './routes/logsTail.js';
import { alertHistoryRoutes } from './routes/alertHistory.js';
import { alertRuleRoutes } from './routes/alertRules.js';
import { alertSilenceRoutes } from './routes/alertSilences.js';
import { routeRuleRoutes } from './routes/routeRules.js';
import { uploadRoutes } from './routes/upload.js';

export interface ServerDeps {
  config: Pick<Config, 'maxUploadBytes' | 'spoolDir' | 'authDisabled' | 'rateLimitPerMinute' | 'corsOrigins' | 'queryTimeoutMs'
    | 'spoolMaxBytes' | 'spoolMinFreeBytes' | 'uploadIdleTimeoutMs' | 'notifyDenyPrivate' | 'notifyAllowedHosts'
    | 'authFailuresPerMinute' | 'trustProxy' | 'host' | 'rawQueriesPerKey' | 'embeddedScanMaxDays' | 'maxLineBytes'>;
  db: Db;
  registry: Registry;
  /** Told after an upload so ingestion starts at once rather than at its next poll. */
  onJobQueued: () => void;
  /** Where the live HTTP inputs (Elasticsearch `_bulk`) journal their lines; without it (RUN_WORKERS=false) they are not served. */
  journal?: LiveJournal;
  /** Told after a rule is created with `evaluate_from`, so its evaluation starts at once rather than at the next alert tick. */
  onRuleEvaluationQueued?: () => void;
  logger?: FastifyBaseLogger | boolean;
  /** The built dashboard (index.html and assets/); default dist/ui under the package root. */
  uiDir?: string;
}

export type App = FastifyInstance;

/** Composes the HTTP API from its parts; every dependency comes in through deps. */
export async function buildServer(deps: ServerDeps): Promise<App> {
  const app = Fastify({
    loggerInstance: typeof deps.logger === 'object' ? deps.logger : undefined,
    logger: typeof deps.logger === 'boolean' ? deps.logger : undefined,
    logController: new OneLinePerRequest(),
    // Bounds path parameters (job ids) before any route sees them.
    routerOptions: { maxParamLength: 500 },
    bodyLimit: 1024 * 1024,
    // Behind a reverse proxy every connection comes from the proxy: without this, the per-address limits
    // (failed authentications, requests without a key) would count every client as one.
    trustProxy: deps.config.trustProxy,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => sendProblem(reply, req, { status: 404, code: 'not_found', detail: `no route for ${req.method} ${req.url.split('?')[0] ?? ''}` }));

  // First of the onRequest hooks, so that answers refused before any route runs (401, 403, 429 from
  // authentication) carry the same security headers as every other answer.
  await app.register(fastifyHelmet, {
    // Written out whole (no helmet defaults, which allow styles and fonts from any https: origin and
    // inline styles): the dashboard and Swagger UI load scripts, styles and fonts from this origin only,
    // and call this origin only; data: is for the shell's empty favicon and Swagger UI's inline icons.
    // Nothing may frame the pages (clickjacking the key form). No upgrade-insecure-requests: a service
    // reached over plain HTTP on a LAN address would have its dashboard's own scripts and API calls
    // rewritten to https and broken.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"], 'script-src': ["'self'"], 'style-src': ["'self'"], 'font-src': ["'self'"], 'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"], 'frame-ancestors': ["'none'"], 'object-src': ["'none'"], 'base-uri': ["'self'"], 'form-action': ["'self'"],
      },
    },
    // What frame-ancestors 'none' says, for browsers that only know the older header.
    xFrameOptions: { action: 'deny' },
  });
  // Before any route: the onRoute check must see every route, and key checks run before rate limits.
  const auth = installAuth(app, {
    db: deps.db, disabled: deps.config.authDisabled, failuresPerMinute: deps.config.authFailuresPerMinute, registry: deps.registry,
  });
  if (deps.config.authDisabled) installAuthDisabledGuard(app, { host: deps.config.host });
  // Before any route, as the onRoute check above: a parameter no route declares is a 400, never ignored.
  installUnknownQueryParamCheck(app);
  // A little after statement_timeout, so on PostgreSQL the database's own cancellation answers first.
  installDeadline(app, deps.config.queryTimeoutMs + 1_000);
  await app.register(fastifyCors, { origin: deps.config.corsOrigins.length ? deps.config.corsOrigins : false });
  if (deps.config.rateLimitPerMinute > 0) {
    await app.register(fastifyRateLimit, {
      // After authentication (onRequest), so the limit is per key; requests without one count per address.
      hook: 'preHandler',
      max: deps.config.rateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: (req) => requestOwner(req).slot,
      allowList: (req) => req.routeOptions.config.access === 'public',
      errorResponseBuilder: (_req, ctx) => new AppError(429, 'rate_limited',
        `more than ${ctx.max} requests per minute with this API key (RATE_LIMIT_PER_MINUTE); retry in ${Math.ceil(ctx.ttl / 1000)} s`,
        { headers: { 'retry-after': String(Math.ceil(ctx.ttl / 1000)) } }),
    });
  }

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Log Insights API',
        version: packageVersion(),
        description: 'Upload Nginx/Apache logs, follow their ingestion, and search the parsed records. Errors are RFC 9457 application/problem+json.',
      },
      tags: [
        { name: 'ingest', description: 'Uploads and ingest jobs' },
        { name: 'search', description: 'Stored log records' },
        { name: 'analytics', description: 'Totals, traffic, routes, latency percentiles, clients (from rollups)' },
        { name: 'alerts', description: 'Alert rules, backtests, history, notifications, silences' },
        { name: 'auth', description: 'API keys (admin scope)' },
        { name: 'meta', description: 'Health, readiness, metrics, formats' },
      ],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer <key>`' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKeyHeader: [] }],
    },
    // Key errors, problem+json and streamed upload bodies, documented for every route in one place.
    transform: documentRoute,
    transformObject: documentComponents,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    // Without the top bar, whose Swagger logo is an SVG with an inline <style> that style-src 'self' refuses
    // (it only colours the logo); the operations, models and Authorize button are all in BaseLayout.
    uiConfig: { layout: 'BaseLayout' },
  });
  await app.register(fastifyMultipart, {
    limits: { fileSize: deps.config.maxUploadBytes, files: 1, fields: 20, fieldSize: 64 * 1024, parts: 25 },
  });
  // Raw uploads (curl --data-binary) reach the route as a stream, never buffered by a body parser.
  app.addContentTypeParser(
    // curl --data-binary labels its body x-www-form-urlencoded; the bytes are the file all the same.
    ['application/octet-stream', 'text/plain', 'application/gzip', 'application/x-gzip', 'application/x-www-form-urlencoded'],
    (_req, payload, done) => done(null, payload),
  );
  installMergePatchParser(app);

  await app.register(healthRoutes(deps));
  await app.register(formatRoutes(deps));
  await app.register(uploadRoutes(deps));
  await app.register(jobRoutes(deps));
  // One gate for every search over raw rows: a key's slots are shared by all of them.
  const rawQueries = new QuerySlots(deps.config.rawQueriesPerKey);
  await app.register(logRoutes({ ...deps, rawQueries }));
  const tail = createLogTail(deps, app.log);
  await app.register(logTailRoutes({ ...deps, tail, auth }));
  await app.register(analyticsRoutes({ ...deps, rawQueries }));
  await app.register(routeRuleRoutes(deps));
  await app.register(alertRuleRoutes({ ...deps, rawQueries }));
  await app.register(alertHistoryRoutes(deps));
  await app.register(alertSilenceRoutes(deps));
  await app.register(apiKeyRoutes({
    ...deps,
    onKeyRevoked: (id) => {
      auth.forget(id);
      tail.endStreamsOfKey(id);
    },
  }));
  if (deps.journal) await app.register(elasticsearchRoutes({ journal: deps.journal }));
  if (deps.journal) await app.register(lokiRoutes({ journal: deps.journal }));
  if (deps.journal) await app.register(otlpRoutes({ journal: deps.journal }));
  if (deps.journal) await app.register(ingestStreamRoutes({ db: deps.db, journal: deps.journal }));
  await app.register(sourceRoutes({ db: deps.db, journal: deps.journal }));
  if (deps.journal) registerSilenceGauge(deps.registry, deps.journal.activity);
  await app.register(dashboardRoutes(deps.uiDir ?? defaultUiDir()));
  return app;
}
