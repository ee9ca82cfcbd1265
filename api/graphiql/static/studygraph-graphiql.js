// GraphiQL for studygraph (development only), with a sign-in bar: signing in fills the
// Authorization header of every request and the websocket's connection_init payload,
// and trades the refresh token for a new access token a minute before it expires, so
// exploring never means pasting tokens. Tokens stay in this page's memory only.
(function () {
  "use strict";

  const script = document.currentScript;
  const graphqlUrl = new URL(script.dataset.graphqlPath, window.location.href).toString();
  const websocketUrl = graphqlUrl.replace(/^http/, "ws");
  const REFRESH_MARGIN_MS = 60 * 1000;
  const AUTH_FIELDS = "accessToken refreshToken accessTokenExpiresAt user { email }";
  const LOGIN = `mutation SignIn($input: LoginInput!) { login(input: $input) { ${AUTH_FIELDS} } }`;
  const REFRESH = `mutation Refresh($token: String!) { refreshToken(refreshToken: $token) { ${AUTH_FIELDS} } }`;

  const form = document.getElementById("sign-in");
  const status = document.getElementById("sign-in-status");
  const signOutButton = document.getElementById("sign-out");
  let auth = null; // {accessToken, refreshToken, expiresAt (ms), email}
  let refreshTimer = null;

  function bearer() {
    return auth ? "Bearer " + auth.accessToken : null;
  }

  function buildFetcher() {
    const header = bearer();
    return GraphiQL.createFetcher({
      url: graphqlUrl,
      subscriptionUrl: websocketUrl,
      headers: header ? { Authorization: header } : {},
      wsConnectionParams: header ? { authorization: header } : {},
    });
  }

  let currentFetcher = buildFetcher();
  // GraphiQL keeps the fetcher it was given; this one forwards to the current token's.
  function fetcher(params, options) {
    return currentFetcher(params, options);
  }

  async function post(query, variables) {
    const response = await fetch(graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: query, variables: variables }),
    });
    const body = await response.json();
    if (body.errors && body.errors.length) {
      throw new Error(body.errors[0].message);
    }
    return body.data;
  }

  function show(message, isError) {
    status.textContent = message;
    status.className = isError ? "error" : "";
  }

  function adopt(payload) {
    auth = {
      accessToken: payload.accessToken,
      refreshToken: payload.refreshToken,
      expiresAt: Date.parse(payload.accessTokenExpiresAt),
      email: payload.user.email,
    };
    currentFetcher = buildFetcher();
    clearTimeout(refreshTimer);
    const wait = Math.max(auth.expiresAt - Date.now() - REFRESH_MARGIN_MS, 5000);
    refreshTimer = setTimeout(refresh, wait);
    const at = new Date(auth.expiresAt - REFRESH_MARGIN_MS).toLocaleTimeString();
    show("Signed in as " + auth.email + "; the token renews itself at " + at + ".");
    form.classList.add("signed-in");
  }

  function signOut(message) {
    auth = null;
    clearTimeout(refreshTimer);
    currentFetcher = buildFetcher();
    form.classList.remove("signed-in");
    show(message || "Signed out.");
  }

  async function refresh() {
    if (!auth) return;
    try {
      const data = await post(REFRESH, { token: auth.refreshToken });
      adopt(data.refreshToken);
    } catch (error) {
      signOut("Could not renew the token (" + error.message + "); sign in again.");
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const input = { email: form.email.value, password: form.password.value };
    show("Signing in…");
    try {
      const data = await post(LOGIN, { input: input });
      form.password.value = "";
      adopt(data.login);
    } catch (error) {
      show("Sign-in failed: " + error.message, true);
    }
  });
  signOutButton.addEventListener("click", function () {
    signOut();
  });

  // For tests and the curious: the page's sign-in state, without the tokens.
  window.studygraphSignIn = {
    signedInAs: function () {
      return auth ? auth.email : null;
    },
    expiresAt: function () {
      return auth ? auth.expiresAt : null;
    },
    refreshNow: refresh,
  };

  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      defaultQuery: script.dataset.defaultQuery,
    }),
  );
})();
