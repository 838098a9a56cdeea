// Small page helpers that need no framework. Loaded on every page as an ES module.

// The demo form's time zone: the browser's own, unless the visitor typed one.
for (const input of document.querySelectorAll("input[data-local-timezone]")) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone && (!input.value || input.value === "UTC")) input.value = zone;
}
