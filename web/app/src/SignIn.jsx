import { useState } from "react";
import { gql, saveSession } from "./api.js";

const LOGIN = `mutation Login($u: String!, $p: String!) {
  login(username: $u, password: $p) {
    __typename
    ... on LoginSuccess { token expiresAt user { id username role } }
    ... on LoginFailed { code message retryAfterSeconds }
  }
}`;

export default function SignIn({ notice, onSignedIn }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { login } = await gql(LOGIN, { u: username, p: password });
      if (login.__typename === "LoginFailed") setError(login.message);
      else {
        saveSession(login.token, login.user);
        onSignedIn(login.user);
      }
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <h1>Clew</h1>
      <p className="muted">Metadata catalog and data lineage</p>
      {notice && <p className="notice" role="status">{notice}</p>}
      <form onSubmit={submit} aria-label="Sign in">
        <label>
          Username
          <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        {error && <p className="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
      </form>
      <p className="muted small">GraphiQL is at <a href="/graphql">/graphql</a>.</p>
    </main>
  );
}
