// The JSON report over a known history: members with application, award, expiry and renewal
// dates across two years; sends, human and machine opens, clicks, bounces, RSVPs and CSAT
// answers counted through the live counter API. Every figure is asserted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../support/db.ts';
import { buildReport, type Report } from '../../engine/reports/report.ts';
import type { Store } from '../../engine/store/index.ts';
import { options, seedEngagement, seedMembers } from './history.ts';

let store: Store;
let report: Report;

beforeAll(async () => {
  store = await openTestStore('reports_report');
  await seedMembers(store);
  await seedEngagement(store);
  report = await buildReport(store, options);
});
afterAll(async () => { await store?.close(); });

const zero = {
  sent: 0, failed: 0, bounces: 0, bouncedAfterSend: 0, complaints: 0, humanOpens: 0, machineOpens: 0, uniqueOpens: 0, clicks: 0, uniqueClicks: 0,
  unsubscribes: 0, rsvpYes: 0, rsvpNo: 0, csatCount: 0, csatSum: 0, machineClicks: 0, softBounces: 0, delivered: 0, opens: 0, openRate: 0, clickRate: 0, ctor: 0, unsubscribeRate: 0, bounceRate: 0, csatAverage: null,
};
const news = { ...zero, softBounces: 1, sent: 4, failed: 1, bounces: 2, bouncedAfterSend: 1, complaints: 1, humanOpens: 3, machineOpens: 2, opens: 5, uniqueOpens: 2, clicks: 3, uniqueClicks: 2, unsubscribes: 1, delivered: 3, openRate: 2 / 3, clickRate: 2 / 3, ctor: 1, unsubscribeRate: 1 / 3, bounceRate: 0.4 };
const cases = { ...zero, sent: 2, delivered: 2, humanOpens: 1, opens: 1, uniqueOpens: 1, clicks: 1, uniqueClicks: 1, openRate: 0.5, clickRate: 0.5, ctor: 1 };
const meetup = { ...zero, sent: 3, delivered: 3, rsvpYes: 1, rsvpNo: 2, csatCount: 3, csatSum: 12, csatAverage: 4 };
const renewal = { ...zero, sent: 3, delivered: 3 };
const renewalStartups = { ...zero, sent: 3, delivered: 3 };

describe('the JSON report over a known history', () => {
  it('names its period and filters', () => {
    expect(report.period).toEqual({ from: '2026-01-01', to: '2026-12-31' });
    expect(report.filters).toEqual({ program: null, campaign: null });
  });

  it('engagement per campaign: sends, human and machine opens apart, unique opens and clicks, CTOR, bounces, RSVPs, CSAT', () => {
    expect(report.engagement.byCampaign).toEqual([
      { campaign: 'cases', kind: 'case-study', ...cases },
      { campaign: 'meetup', kind: 'event', ...meetup },
      { campaign: 'news', kind: 'newsletter', ...news },
      { campaign: 'renewal', kind: 'renewal', ...renewal },
      { campaign: 'renewal-startups', kind: 'renewal', ...renewalStartups },
    ]);
  });

  it('engagement per step, per program and in total', () => {
    expect(report.engagement.byStep).toEqual([
      { campaign: 'cases', step: 'promo', ...cases }, { campaign: 'meetup', step: 'invite', ...meetup }, { campaign: 'news', step: 'issue-1', ...news },
      { campaign: 'renewal', step: 'r-14', ...zero, sent: 1, delivered: 1 }, { campaign: 'renewal', step: 'r-30', ...zero, sent: 2, delivered: 2 },
      { campaign: 'renewal-startups', step: 'r-30', ...zero, sent: 2, delivered: 2 }, { campaign: 'renewal-startups', step: 'r-7', ...zero, sent: 1, delivered: 1 },
    ]);
    expect(report.engagement.byProgram.find((p) => p.program === 'startups')).toEqual({
      program: 'startups', ...zero, sent: 5, delivered: 5, humanOpens: 1, opens: 1, uniqueOpens: 1, clicks: 1, uniqueClicks: 1, openRate: 0.2, clickRate: 0.2, ctor: 1,
    });
    const education = report.engagement.byProgram.find((p) => p.program === 'education')!;
    expect(education).toEqual({
      program: 'education', ...zero, softBounces: 1, sent: 10, failed: 1, bounces: 2, bouncedAfterSend: 1, complaints: 1, humanOpens: 3, machineOpens: 2, opens: 5, uniqueOpens: 2,
      clicks: 3, uniqueClicks: 2, unsubscribes: 1, rsvpYes: 1, rsvpNo: 2, csatCount: 3, csatSum: 12, csatAverage: 4, delivered: 9,
      openRate: 2 / 9, clickRate: 2 / 9, ctor: 1, unsubscribeRate: 1 / 9, bounceRate: 2 / 11,
    });
    expect(report.engagement.total).toEqual({
      ...zero, sent: 15, failed: 1, bounces: 2, bouncedAfterSend: 1, complaints: 1, softBounces: 1, humanOpens: 4, machineOpens: 2, opens: 6, uniqueOpens: 3,
      clicks: 4, uniqueClicks: 3, unsubscribes: 1, rsvpYes: 1, rsvpNo: 2, csatCount: 3, csatSum: 12, csatAverage: 4, delivered: 14,
      openRate: 3 / 14, clickRate: 3 / 14, ctor: 1, unsubscribeRate: 1 / 14, bounceRate: 2 / 16,
    });
  });

  it('engagement over time, per day, without the day outside the period', () => {
    // every counted figure of every day (the rates are the same engagementFigures as above)
    const counted = Object.keys(zero).filter((k) => !['delivered', 'opens', 'openRate', 'clickRate', 'ctor', 'unsubscribeRate', 'bounceRate', 'csatAverage'].includes(k));
    const nonZero = (r: object) => Object.fromEntries(counted.map((k) => [k, (r as Record<string, unknown>)[k]]).filter(([, v]) => v !== 0));
    expect(Object.fromEntries(report.engagement.byDay.map((r) => [r.day, nonZero(r)]))).toEqual({
      '2026-01-02': { sent: 1 }, '2026-01-18': { sent: 1 }, '2026-01-30': { sent: 1 }, '2026-04-01': { sent: 1 }, '2026-04-24': { sent: 1 },
      '2026-06-01': { sent: 4, failed: 1, bounces: 1 },
      '2026-06-02': { humanOpens: 3, machineOpens: 2, uniqueOpens: 2, clicks: 3, uniqueClicks: 2, unsubscribes: 1, complaints: 1, bounces: 1, bouncedAfterSend: 1, softBounces: 1 },
      '2026-07-01': { sent: 2 }, '2026-07-02': { sent: 1 }, '2026-07-03': { humanOpens: 1, uniqueOpens: 1, clicks: 1, uniqueClicks: 1 },
      '2026-09-01': { sent: 3 }, '2026-09-02': { rsvpYes: 2, rsvpNo: 1 }, '2026-09-03': { rsvpYes: -1, rsvpNo: 1 }, '2026-09-10': { csatCount: 3, csatSum: 12 },
    });
    expect(report.engagement.byDay.map((r) => [r.day, r.sent, r.opens])).toEqual([
      ['2026-01-02', 1, 0], ['2026-01-18', 1, 0], ['2026-01-30', 1, 0], ['2026-04-01', 1, 0], ['2026-04-24', 1, 0],
      ['2026-06-01', 4, 0], ['2026-06-02', 0, 5], ['2026-07-01', 2, 0], ['2026-07-02', 1, 0], ['2026-07-03', 0, 1],
      ['2026-09-01', 3, 0], ['2026-09-02', 0, 0], ['2026-09-03', 0, 0], ['2026-09-10', 0, 0],
    ]);
  });

  it('membership and retention per program: new, active, renewals due/renewed/lapsed, renewal rate, returning, time to award in business days', () => {
    expect(report.programs).toEqual([
      {
        program: 'education',
        newMembers: 3, activeAtEnd: 5, renewalsDue: 3, renewed: 1, lapsed: 1, pending: 1, renewalRate: 0.5, returningYearOverYear: 1,
        timeToAward: { count: 3, medianBusinessDays: 2, withinTenBusinessDays: 2 / 3, days: [1, 2, 15] },
        participation: { rsvpYes: 1, caseStudyClicks: 0 },
        csat: { count: 3, average: 4 },
        membersReached: 5,
      },
      {
        program: 'startups',
        newMembers: 0, activeAtEnd: 1, renewalsDue: 2, renewed: 1, lapsed: 1, pending: 0, renewalRate: 0.5, returningYearOverYear: 1,
        timeToAward: { count: 0, medianBusinessDays: null, withinTenBusinessDays: null, days: [] },
        participation: { rsvpYes: 0, caseStudyClicks: 1 },
        csat: { count: 0, average: null },
        membersReached: 2,
      },
    ]);
  });

  it('attribution: a renewal within the campaign\'s window after a reminder converts that step; median days reminder to renewal', () => {
    expect(report.attribution).toEqual([
      { campaign: 'renewal', step: 'r-14', reminders: 1, conversions: 1, conversionRate: 1, medianDaysToRenewal: 2, windowDays: 14 },
      { campaign: 'renewal', step: 'r-30', reminders: 2, conversions: 0, conversionRate: 0, medianDaysToRenewal: null, windowDays: 14 },
      { campaign: 'renewal-startups', step: 'r-30', reminders: 2, conversions: 0, conversionRate: 0, medianDaysToRenewal: null, windowDays: 21 },
      { campaign: 'renewal-startups', step: 'r-7', reminders: 1, conversions: 1, conversionRate: 1, medianDaysToRenewal: 16, windowDays: 21 },
    ]);
  });

  it('filters by program and campaign, and by a shorter period', async () => {
    const startups = await buildReport(store, { ...options, program: 'startups' });
    expect(startups.programs.map((p) => p.program)).toEqual(['startups']);
    expect(startups.engagement.byCampaign.map((c) => c.campaign)).toEqual(['cases', 'renewal-startups']);
    const june = await buildReport(store, { ...options, from: '2026-06-01', to: '2026-06-30', campaign: 'news' });
    expect(june.engagement.total).toEqual(news);
    expect(june.programs.find((p) => p.program === 'education')).toMatchObject({ newMembers: 0, renewalsDue: 0, renewalRate: null, activeAtEnd: 5 });
    expect(june.attribution).toEqual([]);
  });

  it('a period that is not a date is refused, naming the option', async () => {
    await expect(buildReport(store, { ...options, from: '2026-13-01' })).rejects.toThrow(/--from: "2026-13-01" is not a date; write YYYY-MM-DD/);
    await expect(buildReport(store, { ...options, from: '2026-12-01', to: '2026-11-01' })).rejects.toThrow(/--from: 2026-12-01 is after --to 2026-11-01/);
  });
});
