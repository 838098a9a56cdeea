// The feedback section polls (htmx) while a report is being prepared. Should the browser's
// sign-in end meanwhile, the poll is answered by the login page: go there with this page as
// the place to come back to, instead of swapping a whole page into the section.
document.body.addEventListener("htmx:beforeSwap", (event) => {
  const answered = event.detail.xhr && event.detail.xhr.responseURL;
  if (!answered || new URL(answered).pathname !== "/login") return;
  event.detail.shouldSwap = false;
  const here = window.location.pathname + window.location.search;
  window.location.assign("/login?" + new URLSearchParams({ next: here }).toString());
});
