// Rapat Anggota attendance: read the member card's QR code with the phone's camera.
//
// Progressive: the page works without this file (type the member number, or send a photo of
// the card that the server decodes). Where the browser has BarcodeDetector (with QR codes) and
// a camera API, a "Scan card" button opens the rear camera in a <video>, and the first QR code
// seen fills the member number field and submits the form with via=qr. The photo form is then
// hidden; it comes back if the camera cannot be used.
//
// After a card was recorded the page reloads; the camera reopens by itself for the next
// member, until "Stop the camera" (or an error on the page). The code just recorded is ignored
// for a moment, so that the card still held before the camera is not sent twice.
(() => {
  "use strict";
  const form = document.querySelector("[data-scan-form]");
  const scanner = document.querySelector("[data-scanner]");
  const startButton = document.querySelector("[data-scan-start]");
  const photoForm = document.querySelector("[data-photo-form]");
  if (!form || !scanner || !startButton) return;

  // The attendance's member number, or the field the page marks (the sale form's buyer).
  const number = form.querySelector("[data-scan-input]") || form.querySelector("input[name=number]");
  const via = form.querySelector("[data-scan-via]");
  const video = scanner.querySelector("[data-scan-video]");
  const status = scanner.querySelector("[data-scan-status]");
  const stopButton = scanner.querySelector("[data-scan-stop]");
  const KEY = "kkmp-meeting-scan";
  const SAME_CODE_PAUSE_MS = 3000;
  const RESUME_WITHIN_MS = 60000; // a card recorded this long ago no longer reopens the camera

  // The photo form: send the photo as soon as one is taken.
  if (photoForm) {
    const input = photoForm.querySelector("input[type=file]");
    const submit = photoForm.querySelector("[data-photo-submit]");
    if (input) {
      input.addEventListener("change", () => {
        if (input.files && input.files.length) {
          if (submit) submit.disabled = true;
          photoForm.submit();
        }
      });
    }
  }

  // Back at the attendance (after a member was recorded, or a refusal to correct): the cursor
  // in the number field for the next one, unless the camera is about to reopen. After the
  // load, as the browser's scroll to #hadir would take the focus away again.
  const resuming = (remembered() || { at: 0 }).at > Date.now() - RESUME_WITHIN_MS;
  if (location.hash === "#hadir" && !resuming) {
    window.addEventListener("load", () => setTimeout(() => number.focus(), 0));
  }

  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;

  let stream = null;
  let detector = null;
  let timer = null;
  let ignore = { code: null, until: 0 };

  const say = (text) => { status.textContent = text; };

  function remembered() {
    try { return JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { return null; }
  }
  function remember(value) {
    try {
      if (value) sessionStorage.setItem(KEY, JSON.stringify(value));
      else sessionStorage.removeItem(KEY);
    } catch (e) { /* private mode: no automatic reopening, nothing else lost */ }
  }

  function stop(forget) {
    if (timer) { clearTimeout(timer); timer = null; }
    if (stream) { stream.getTracks().forEach((track) => track.stop()); stream = null; }
    video.srcObject = null;
    scanner.hidden = true;
    startButton.hidden = false;
    if (forget) remember(null);
  }

  function fail() {
    stop(true);
    say(scanner.dataset.msgDenied);
    scanner.hidden = false;
    stopButton.hidden = true;
    if (photoForm) photoForm.hidden = false;
  }

  function found(code) {
    remember({ code: code, at: Date.now() });
    stop(false);
    say(`${scanner.dataset.msgFound} ${code}`);
    number.value = code;
    if (via) via.value = "qr";
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function look() {
    timer = null;
    if (!stream) return;
    if (video.readyState < 2) { timer = setTimeout(look, 200); return; }
    detector.detect(video).then((codes) => {
      if (!stream) return;
      const code = codes.map((c) => (c.rawValue || "").trim()).find((c) => c);
      if (code && !(code === ignore.code && Date.now() < ignore.until)) { found(code); return; }
      timer = setTimeout(look, 200);
    }).catch(() => { if (stream) timer = setTimeout(look, 400); });
  }

  function start() {
    stopButton.hidden = false;
    scanner.hidden = false;
    startButton.hidden = true;
    say(scanner.dataset.msgStarting);
    navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then((media) => {
        stream = media;
        video.srcObject = media;
        return video.play();
      })
      .then(() => {
        say(scanner.dataset.msgLooking);
        look();
      })
      .catch(fail);
  }

  BarcodeDetector.getSupportedFormats().then((formats) => {
    if (!formats.includes("qr_code")) return;
    detector = new BarcodeDetector({ formats: ["qr_code"] });
    startButton.hidden = false;
    if (photoForm) photoForm.hidden = true;
    startButton.addEventListener("click", () => { ignore = { code: null, until: 0 }; start(); });
    stopButton.addEventListener("click", () => stop(true));
    document.addEventListener("visibilitychange", () => { if (document.hidden && stream) stop(false); });
    window.addEventListener("pagehide", () => stop(false));
    // Reopen the camera for the next member, unless the page says something went wrong.
    const last = remembered();
    const refused = document.querySelector(".attendance-entry .error, .attendance-entry [role=alert], [data-scan-refused]");
    if (last && !refused && Date.now() - last.at < RESUME_WITHIN_MS) {
      ignore = { code: last.code, until: Date.now() + SAME_CODE_PAUSE_MS };
      start();
    } else {
      remember(null);
    }
  }).catch(() => {});
})();
