import { useState } from "react";
import { AuthError, signIn, signUp } from "../api/auth";
import { describeCode } from "../errors";

export function SignIn() {
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email"));
    const password = String(form.get("password"));
    setBusy(true);
    setError(null);
    try {
      if (creating) await signUp(email, password, String(form.get("displayName") ?? ""));
      else await signIn(email, password);
    } catch (caught) {
      const e = caught as AuthError;
      setError(
        e.code === "UNAUTHENTICATED" && !creating
          ? "That email and password do not match an account."
          : describeCode(e.code, e.message, { retryAfterSeconds: e.retryAfterSeconds }),
      );
    } finally {
      setBusy(false);
    }
  }

  const title = creating ? "Create your account" : "Sign in";
  return (
    <main id="main" className="sign-in">
      <h1>studygraph</h1>
      <p className="lead">Your study companion: topics, material, a tutor that cites it, and flashcards.</p>
      <form onSubmit={submit} aria-labelledby="sign-in-title" className="card">
        <h2 id="sign-in-title">{title}</h2>
        {creating && (
          <label>
            Display name
            <input name="displayName" autoComplete="nickname" />
          </label>
        )}
        <label>
          Email
          <input name="email" type="email" required autoComplete="username" />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            required
            minLength={creating ? 8 : undefined}
            autoComplete={creating ? "new-password" : "current-password"}
          />
        </label>
        {error && <p role="alert" className="error">{error}</p>}
        <button type="submit" disabled={busy}>{creating ? "Create account" : "Sign in"}</button>
        <button type="button" className="link" onClick={() => (setCreating(!creating), setError(null))}>
          {creating ? "I already have an account" : "Create an account"}
        </button>
      </form>
    </main>
  );
}
