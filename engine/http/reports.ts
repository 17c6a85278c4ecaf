// Marketing's pages: the report at /reports (HTML with charts, or ?format=json|csv) and the
// campaign overview at /reports/campaigns, behind the same operator password as /dash.
// Thin: parse the query, ask reports/, send what it renders.
import type { FastifyInstance } from 'fastify';
import basicAuth from '@fastify/basic-auth';
import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import type { LoadedCampaign } from '../campaigns/index.ts';
import type { BusinessCalendar } from '../calendar/business-days.ts';
import { InvalidInputError } from '../errors.ts';
import { reportFor, reportAsCsv, reportBody, htmlPage, reportCharts, type ReportRequest } from '../reports/index.ts';
import { campaignOverview, campaignOverviewBody } from '../reports/overview.ts';

export const REPORTS_USER = 'operator';

export interface ReportsDeps {
  store: Store;
  clock: Clock;
  password: string;
  campaigns: readonly LoadedCampaign[];
  calendar: BusinessCalendar;
}

const NAV = '<nav><a href="/reports">Report</a><a href="/reports/campaigns">Campaigns</a></nav>';

export async function mountReports(app: FastifyInstance, deps: ReportsDeps): Promise<void> {
  const expected = Buffer.from(`${REPORTS_USER}:${deps.password}`);
  await app.register(async (scope) => {
    await scope.register(basicAuth, {
      authenticate: { realm: 'Flywheel reports' },
      validate: async (user, pass) => {
        const given = Buffer.from(`${user}:${pass}`);
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('wrong user or password');
      },
    });
    scope.addHook('onRequest', scope.basicAuth);

    scope.get<{ Querystring: ReportRequest & { format?: string } }>('/', async (req, reply) => {
      const { program, campaign, from, to, format } = req.query;
      const request = Object.fromEntries(Object.entries({ program, campaign, from, to }).filter(([, v]) => typeof v === 'string' && v !== '')) as ReportRequest;
      let report;
      try {
        report = await reportFor(deps.store, deps.campaigns, deps.calendar, deps.clock.now(), request);
      } catch (err) {
        if (err instanceof InvalidInputError) return reply.code(400).type('text/html').send(htmlPage('Report', `${NAV}<h1>That report cannot be made</h1><pre>${escapeHtml(err.message)}</pre>`));
        throw err;
      }
      reply.header('Cache-Control', 'no-store');
      if (format === 'json') return reply.type('application/json').send(report);
      if (format === 'csv') return reply.type('text/csv; charset=utf-8').header('Content-Disposition', `attachment; filename="flywheel-report-${report.period.from}-${report.period.to}.csv"`).send(reportAsCsv(report));
      const form = filterForm(deps.campaigns, report.period, request);
      return reply.type('text/html').send(htmlPage(`Flywheel report ${report.period.from} to ${report.period.to}`, `${NAV}${form}${reportBody(report, await reportCharts(report))}`));
    });

    scope.get('/campaigns', async (_req, reply) => {
      const rows = await campaignOverview(deps.store, deps.campaigns);
      reply.header('Cache-Control', 'no-store');
      return reply.type('text/html').send(htmlPage('Flywheel campaigns', `${NAV}${campaignOverviewBody(rows, deps.clock.now())}`));
    });
  }, { prefix: '/reports' });
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function filterForm(campaigns: readonly LoadedCampaign[], period: { from: string; to: string }, request: ReportRequest): string {
  const programs = [...new Set(campaigns.flatMap((c) => (c.programs ? Object.keys(c.programs as object) : [])))].sort();
  const select = (name: string, values: string[], current?: string) =>
    `<select name="${name}"><option value="">all ${name}s</option>${values.map((v) => `<option${v === current ? ' selected' : ''}>${escapeHtml(v)}</option>`).join('')}</select>`;
  return `<form method="get" action="/reports" style="margin:12px 0;display:flex;gap:8px;flex-wrap:wrap;align-items:center">
${programs.length ? select('program', programs, request.program) : `<input name="program" placeholder="program" value="${escapeHtml(request.program ?? '')}">`}
${select('campaign', campaigns.map((c) => c.name).sort(), request.campaign)}
<label>from <input type="date" name="from" value="${period.from}"></label><label>to <input type="date" name="to" value="${period.to}"></label>
<button type="submit">Show</button>
<a href="?${new URLSearchParams({ ...request, format: 'csv' } as Record<string, string>)}">CSV</a><a href="?${new URLSearchParams({ ...request, format: 'json' } as Record<string, string>)}">JSON</a>
</form>`;
}
