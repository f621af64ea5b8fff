// Operator console: ask before dangerous forms are sent (forms carry data-confirm="<ko> <en>").
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}
