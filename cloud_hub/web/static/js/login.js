// Sign-in: POST /api/v1/auth/token, keep the token in sessionStorage, go where the user was going.
import { signIn } from "./session.js";

function nextPage() {
  const next = new URLSearchParams(location.search).get("next") || "/map";
  // only paths on this hub: never bounce a token holder to another site
  return next.startsWith("/") && !next.startsWith("//") ? next : "/map";
}

document.getElementById("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const error = document.getElementById("error");
  error.textContent = "";
  const button = document.getElementById("submit");
  button.disabled = true;
  try {
    await signIn(document.getElementById("username").value.trim(), document.getElementById("password").value);
    location.assign(nextPage());
  } catch (err) {
    error.textContent = err.status === 401 ? "Wrong user name or password." : err.message;
  } finally {
    button.disabled = false;
  }
});
