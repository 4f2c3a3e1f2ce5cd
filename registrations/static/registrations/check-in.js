/*
 * The check-in desk: scan tickets with the phone's camera, and keep the
 * counts live. The page works without it: a scanner that types (or a
 * person) fills the ticket field, and the search finds people by name.
 * The camera reads QR codes with the browser's BarcodeDetector where there
 * is one, and with jsQR (served from this site) everywhere else.
 */
(function () {
  "use strict";

  var root = document.querySelector(".check-in");
  if (!root) return;
  var ticketForm = root.querySelector(".check-in__ticket");
  var result = document.getElementById("check-in-result");
  var csrf = ticketForm.querySelector("input[name=csrfmiddlewaretoken]").value;
  var lastCode = "";
  var lastAt = 0;

  function showCounts(counts) {
    Object.keys(counts).forEach(function (key) {
      var cell = root.querySelector('[data-count="' + key + '"]');
      if (cell) cell.textContent = counts[key];
    });
  }

  function show(answer) {
    result.className = "check-in__result check-in__result--" + answer.result;
    result.textContent = "";
    var strong = document.createElement("strong");
    strong.textContent = answer.message;
    result.appendChild(strong);
    if (answer.name) {
      result.appendChild(document.createElement("br"));
      result.appendChild(
        document.createTextNode(answer.name + (answer.organization ? " · " + answer.organization : ""))
      );
    }
    if (answer.counts) showCounts(answer.counts);
    result.scrollIntoView({ block: "nearest" });
  }

  function send(ticket) {
    var body = new URLSearchParams();
    body.set("ticket", ticket);
    return fetch(ticketForm.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf },
      body: body
    }).then(function (response) {
      return response.json();
    }).then(show).catch(function () {
      result.className = "check-in__result check-in__result--unknown";
      result.textContent = root.dataset.offline || "?";
    });
  }

  ticketForm.addEventListener("submit", function (event) {
    var field = ticketForm.querySelector("input[name=ticket]");
    if (!field.value.trim()) return;
    event.preventDefault();
    send(field.value.trim()).then(function () {
      field.value = "";
      field.focus();
    });
  });

  // The same code seen again within a few seconds is the same ticket still in view.
  function found(code) {
    var now = Date.now();
    if (code === lastCode && now - lastAt < 4000) return;
    lastCode = code;
    lastAt = now;
    if (navigator.vibrate) navigator.vibrate(80);
    send(code);
  }

  function pollCounts() {
    fetch(root.dataset.countsUrl, {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (counts) {
      if (counts) showCounts(counts);
    }).catch(function () {});
  }
  window.setInterval(pollCounts, 10000);

  var scanner = root.querySelector(".check-in__scanner");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  scanner.hidden = false;
  var video = scanner.querySelector("video");
  var note = scanner.querySelector("[data-scan-note]");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var detector = null;

  function detect() {
    if (detector) {
      return detector.detect(video).then(function (codes) {
        return codes.length ? codes[0].rawValue : null;
      });
    }
    if (typeof window.jsQR !== "function" || !video.videoWidth) {
      return Promise.resolve(null);
    }
    // A smaller frame is read faster, and a ticket fills much of it.
    var scale = Math.min(1, 640 / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(image.data, image.width, image.height, {
      inversionAttempts: "dontInvert"
    });
    return Promise.resolve(code ? code.data : null);
  }

  function loop() {
    if (video.paused) return;
    detect().then(function (code) {
      if (code) found(code);
      window.setTimeout(loop, 150);
    }, function () {
      window.setTimeout(loop, 500);
    });
  }

  function chooseDetector() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf("qr_code") >= 0
        ? new window.BarcodeDetector({ formats: ["qr_code"] })
        : null;
    }, function () {
      return null;
    });
  }

  scanner.querySelector("[data-scan-start]").addEventListener("click", function (event) {
    var button = event.currentTarget;
    chooseDetector().then(function (chosen) {
      detector = chosen;
      return navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment" },
        audio: false
      });
    }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      button.hidden = true;
      return video.play();
    }).then(loop).catch(function (error) {
      note.textContent = (error && error.name) + ": " + button.dataset.failed;
    });
  });
})();
