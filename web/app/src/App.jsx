import { useEffect, useState } from "react";
import { clearSession, onSignedOut, session } from "./api.js";
import { href, useRoute } from "./route.js";
import { may } from "./roles.js";
import SignIn from "./SignIn.jsx";
import Catalog from "./catalog/Catalog.jsx";
import TablePage from "./table/TablePage.jsx";
import Lineage from "./lineage/Lineage.jsx";
import Review from "./review/Review.jsx";
import Sources from "./sources/Sources.jsx";
import Import from "./imports/Import.jsx";

const SCREENS = [
  ["catalog", "Catalog", "VIEWER"],
  ["review", "Review queue", "VIEWER"],
  ["sources", "Sources", "VIEWER"],
  ["import", "Import and export", "VIEWER"],
];

export default function App() {
  const [user, setUser] = useState(() => session()?.user ?? null);
  const [notice, setNotice] = useState(null);
  const route = useRoute();

  useEffect(
    () =>
      onSignedOut((message) => {
        setUser(null);
        setNotice(`${message} Sign in again; the page you were on stays open.`);
      }),
    [],
  );

  if (!user) return <SignIn notice={notice} onSignedIn={(u) => { setNotice(null); setUser(u); }} />;

  function signOut() {
    clearSession();
    setNotice("You signed out.");
    setUser(null);
  }

  const screen = route.screen;
  return (
    <div className="shell">
      <header>
        <a className="brand" href={href("catalog")}>Clew</a>
        <nav aria-label="Screens">
          {SCREENS.filter(([, , role]) => may(user, role)).map(([key, label]) => (
            <a key={key} href={href(key)} aria-current={screen === key || (key === "catalog" && screen === "table") ? "page" : undefined}>{label}</a>
          ))}
          <a href="/graphql">GraphiQL</a>
        </nav>
        <div className="who" aria-label="Signed in as">
          <span className="username">{user.username}</span> <span className="role">{user.role}</span>
          <button type="button" onClick={signOut}>Sign out</button>
        </div>
      </header>
      <main>
        {screen === "table" && route.id ? <TablePage key={route.id} id={route.id} user={user} />
          : screen === "lineage" && route.id ? <Lineage key={route.id} rootId={route.id} params={route.params} user={user} />
          : screen === "review" ? <Review user={user} params={route.params} />
          : screen === "sources" ? <Sources user={user} />
          : screen === "import" ? <Import user={user} />
          : <Catalog params={route.params} />}
      </main>
    </div>
  );
}
