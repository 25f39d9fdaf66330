// Mirrors the server's role ladder to hide or disable what a role may not do; the server still decides.
const LADDER = ["VIEWER", "EDITOR", "STEWARD", "ADMIN"];

export function may(user, role) {
  return !!user && LADDER.indexOf(user.role) >= LADDER.indexOf(role);
}

export function needs(role) {
  return `Needs the ${role} role or higher.`;
}
