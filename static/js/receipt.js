// The receipt page's buttons: print, and share (the phone's share sheet, where the browser has one).
document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
document.querySelectorAll("[data-share]").forEach((button) => {
  if (!navigator.share) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    navigator.share({ title: button.dataset.shareTitle, text: button.dataset.shareText }).catch(() => {});
  });
});
