/*
 * Small enhancements. Every page works without them: the filters open and
 * close as plain <details>, the language note's button is a form, and the
 * share card shows the address and a QR code.
 * Served from this site, so the Content-Security-Policy ('self') allows it.
 */
(function () {
  "use strict";

  // The list filters start closed (phones first); on a wide screen there is
  // room beside the list, so open them.
  var wide = window.matchMedia("(min-width: 60rem)");
  function openFilters() {
    if (!wide.matches) return;
    var panels = document.querySelectorAll("details[data-filters]");
    for (var i = 0; i < panels.length; i++) panels[i].open = true;
  }

  function remember(name, language) {
    document.cookie = name + "=" + encodeURIComponent(language) +
      "; path=/; max-age=31536000; samesite=lax" +
      (location.protocol === "https:" ? "; secure" : "");
  }

  // The language note: dismissing it remembers the choice without leaving the page.
  function languageNotice() {
    var notice = document.querySelector("[data-language-notice]");
    if (!notice) return;
    var form = notice.querySelector("form[data-cookie]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      remember(form.getAttribute("data-cookie"), form.elements.language.value);
      notice.parentNode.removeChild(notice);
      var main = document.getElementById("main");
      if (main) main.focus();
    });
  }

  // Choosing a language in the switcher is remembered too, so the note stays away.
  function languageSwitcher() {
    var switcher = document.querySelector("[data-language-switch]");
    if (!switcher) return;
    var name = switcher.getAttribute("data-cookie");
    switcher.addEventListener("click", function (event) {
      var link = event.target.closest("a[hreflang]");
      if (link) remember(name, link.getAttribute("hreflang"));
    });
  }

  // The share card: the system's share sheet where there is one, and a copy button.
  function shareCard() {
    var card = document.querySelector("[data-share-url]");
    if (!card) return;
    var url = card.getAttribute("data-share-url");
    var title = card.getAttribute("data-share-title");
    var status = card.querySelector("[data-share-status]");
    var share = card.querySelector("[data-share-native]");
    if (share && navigator.share) {
      share.hidden = false;
      share.addEventListener("click", function () {
        navigator.share({ title: title, url: url }).catch(function () {});
      });
    }
    var copy = card.querySelector("[data-share-copy]");
    if (copy && navigator.clipboard && window.isSecureContext) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(url).then(
          function () { status.textContent = copy.getAttribute("data-done"); },
          function () { status.textContent = copy.getAttribute("data-failed"); }
        );
      });
    }
  }

  function start() {
    openFilters();
    languageNotice();
    languageSwitcher();
    shareCard();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
