/**
 * The one HTML/CSP builder: the policy is exactly the strict one, the nonce is fresh and checked,
 * and nothing passed in can break out of its attribute or add a directive.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, createNonce, escapeHtml, webviewHtml } from '../../src/views/webviewHtml';

const base = {
  cspSource: 'https://*.vscode-cdn.net',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/timeline.css',
  title: 'Stallscope Timeline',
};

describe('webviewHtml', () => {
  it('builds the strict CSP: nonce scripts, styles and images from the webview only, no unsafe-inline', () => {
    const nonce = createNonce();
    assert.equal(
      contentSecurityPolicy(base.cspSource, nonce),
      `default-src 'none'; img-src https://*.vscode-cdn.net data:; style-src https://*.vscode-cdn.net; script-src 'nonce-${nonce}'; font-src https://*.vscode-cdn.net`,
    );
    const html = webviewHtml({ ...base, nonce });
    assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;`));
    assert.ok(html.includes(`<script nonce="${nonce}" src="${base.scriptUri}"></script>`));
    assert.ok(html.includes(`<link rel="stylesheet" href="${base.styleUri}">`));
    assert.doesNotMatch(html, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(html, /style="/, 'no inline style attribute');
    assert.equal((html.match(/<script/g) ?? []).length, 1, 'one script, and it carries no inline code or data');
  });

  it('makes 128-bit base64 nonces, a new one each time', () => {
    const a = createNonce();
    assert.match(a, /^[A-Za-z0-9+/]{22}==$/);
    assert.equal(Buffer.from(a, 'base64').length, 16);
    assert.notEqual(a, createNonce());
  });

  it('escapes the title and URIs, and refuses a nonce or source that could inject', () => {
    const html = webviewHtml({ ...base, nonce: createNonce(), title: '</title><script>alert(1)</script>', scriptUri: 'x" onload="alert(1)' });
    assert.ok(html.includes('&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(html.includes('src="x&quot; onload=&quot;alert(1)"'));
    assert.throws(() => webviewHtml({ ...base, nonce: 'abc" onload="x' }), /nonce/);
    assert.throws(() => webviewHtml({ ...base, nonce: 'short' }), /nonce/);
    assert.throws(() => webviewHtml({ ...base, nonce: createNonce(), cspSource: "https://x; script-src 'unsafe-inline'" }), /cspSource/);
    assert.throws(() => webviewHtml({ ...base, nonce: createNonce(), cspSource: '' }), /cspSource/);
    assert.equal(escapeHtml(`<a href='x'>&</a>`), '&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;');
  });
});
