// The page GET /graphql shows a browser outside production: Apollo Sandbox, which loads its
// scripts from Apollo's CDN. Without internet Apollo's page only says "you might be offline";
// this one says how to query the API with curl instead. In production there is no page.
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';

const OFFLINE_NOTE = /<p>Apollo Sandbox cannot be loaded;[^<]*<\/p>/;

export function landingPage(options: { production: boolean }): ApolloServerPlugin {
  if (options.production) return ApolloServerPluginLandingPageDisabled();
  const sandbox = ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false });
  return {
    async serverWillStart(service) {
      const listener = await sandbox.serverWillStart?.(service);
      if (!listener?.renderLandingPage) return listener;
      return {
        ...listener,
        renderLandingPage: async () => {
          const page = await listener.renderLandingPage!();
          return { html: async () => withCurlHelp(typeof page.html === 'string' ? page.html : await page.html()) };
        },
      };
    },
  };
}

/** Replaces the offline note with a curl example, its URL filled in by a script under the page's nonce. */
export function withCurlHelp(html: string): string {
  const nonce = /nonce="([^"]+)"/.exec(html)?.[1];
  const help = `<p>Apollo Sandbox cannot be loaded: its scripts come from Apollo's CDN, which this browser cannot reach (offline?).
  The API works without it. Log in, then query with the token:</p>
<pre id="curl-help">URL=http://localhost:4000/graphql
TOKEN=$(curl -s $URL -H 'content-type: application/json' \\
  -d '{"query":"mutation($e:String!,$p:String!){login(email:$e,password:$p){accessToken}}","variables":{"e":"admin@localhost","p":"&lt;password&gt;"}}' \\
  | node -pe 'JSON.parse(require("fs").readFileSync(0)).data.login.accessToken')
curl -s $URL -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \\
  -d '{"query":"{ users(first: 5) { edges { node { id email name } } } }"}'</pre>
<p>The README's tour has more.</p>
${nonce ? `<script nonce="${nonce}">var help = document.getElementById('curl-help'); help.textContent = help.textContent.replace('http://localhost:4000/graphql', window.location.origin + window.location.pathname);</script>` : ''}`;
  return OFFLINE_NOTE.test(html) ? html.replace(OFFLINE_NOTE, () => help) : html.replace('<div class="fallback">', () => `<div class="fallback">${help}`);
}
