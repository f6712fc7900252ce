import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { ConsoleSession } from './sessions.ts';

/**
 * The console's pages are rendered on the server with Hono's html helper (the template side of
 * Hono's JSX: interpolated values are escaped). JSX syntax itself would need a build step, since
 * Node runs this project's TypeScript by stripping types, and .tsx cannot be stripped.
 */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface PageFrame {
  readonly title: string;
  readonly session: ConsoleSession;
  /** The tenant the page is about; absent on the admin's tenant list. */
  readonly tenantId?: string;
  /** Which tab is current. */
  readonly section?: 'connection' | 'defaults' | 'documents' | 'runs';
  /** A short message after an action (Post/Redirect/Get), shown once. */
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
}

const SECTIONS = [
  ['connection', 'Connection'],
  ['defaults', 'Posting defaults'],
  ['documents', 'Documents'],
  ['runs', 'Sync history'],
] as const;

export const tenantBase = (tenantId: string) => `/console/t/${encodeURIComponent(tenantId)}`;

/** A hidden CSRF field for every state-changing form. */
export const csrfField = (session: ConsoleSession) => html`<input type="hidden" name="_csrf" value="${session.csrfToken}">`;

/** A form that posts one action: a button, the CSRF token, and optional hidden fields. */
export function actionForm(session: ConsoleSession, action: string, label: string, opts: { fields?: Record<string, string>; style?: 'primary' | 'danger' | 'plain'; confirm?: string } = {}): Html {
  const hidden = Object.entries(opts.fields ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  return html`<form method="post" action="${action}" class="inline"${opts.confirm ? html` data-confirm="${opts.confirm}"` : ''}>${csrfField(session)}${hidden}<button type="submit" class="${opts.style ?? 'plain'}">${label}</button></form>`;
}

export function page(frame: PageFrame, body: Html): Html {
  const base = frame.tenantId ? tenantBase(frame.tenantId) : undefined;
  const nav = base
    ? html`<nav aria-label="Sections"><ul>${SECTIONS.map(([key, label]) => html`<li><a href="${base}/${key}"${frame.section === key ? html` aria-current="page"` : ''}>${label}</a></li>`)}</ul></nav>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · Ledgerport</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body${base ? html` data-live="${base}/live"` : ''}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <p class="brand"><a href="/console">Ledgerport</a>${frame.tenantId ? html` <span class="tenant">· ${frame.tenantId}</span>` : ''}</p>
  ${frame.session.tenantId === null ? html`<p class="admin"><a href="/console">All tenants</a></p>` : ''}
  <form method="post" action="/console/logout" class="inline">${csrfField(frame.session)}<button type="submit" class="plain">Sign out</button></form>
</header>
${nav}
<main id="main">
<h1>${frame.title}</h1>
<div id="notices" role="status" aria-live="polite">${frame.notice ? html`<p class="notice">${frame.notice}</p>` : ''}</div>
${frame.error ? html`<p class="error" role="alert">${frame.error}</p>` : ''}
<div id="live-region">${body}</div>
</main>
</body>
</html>`;
}

/** A page for a refused link or a missing session: no navigation, no tenant data. */
export function plainPage(title: string, message: string): Html {
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · Ledgerport</title><link rel="stylesheet" href="/console/assets/console.css"></head>
<body><main id="main"><h1>${title}</h1><p>${message}</p></main></body>
</html>`;
}

export const when = (iso: Date | string | null | undefined) => {
  if (!iso) return '-';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return html`<time datetime="${d.toISOString()}">${d.toISOString().replace('T', ' ').slice(0, 19)} UTC</time>`;
};
