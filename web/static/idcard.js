// Reads birth date and sex from a typed ID number (GB 11643) and fills those fields.
// A convenience only: the server reads the number again and is the authority.
(function () {
  "use strict";
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CHECK = "10X98765432";

  function normalise(text) {
    // Full-width digits and X typed with a Chinese input method, and spaces anywhere.
    return text.replace(/[\uFF10-\uFF19]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xFF10 + 48);
    }).replace(/[\uFF38\uFF58]/g, "X").replace(/\s+/g, "").toUpperCase();
  }

  function parse(number) {
    if (!/^[0-9]{17}[0-9X]$/.test(number)) return null;
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += Number(number[i]) * WEIGHTS[i];
    if (CHECK[sum % 11] !== number[17]) return null;
    var y = Number(number.slice(6, 10)), m = Number(number.slice(10, 12)), d = Number(number.slice(12, 14));
    var day = new Date(Date.UTC(y, m - 1, d));
    if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return null;
    return {
      birth: number.slice(6, 10) + "-" + number.slice(10, 12) + "-" + number.slice(12, 14),
      sex: Number(number[16]) % 2 ? "male" : "female"
    };
  }

  function update(input) {
    var live = document.getElementById(input.id + "-live");
    var number = normalise(input.value);
    var say = function (text) { if (live) live.textContent = text; };
    if (number.length === 0) { say(""); return; }
    if (number.length !== 18) { say(number.length > 18 ? input.dataset.msgLength : ""); return; }
    var parsed = parse(number);
    if (!parsed) { say(input.dataset.msgBad); return; }
    var birth = document.querySelector('[data-birth-for="' + input.id + '"]');
    var sex = document.querySelector('[data-sex-for="' + input.id + '"]');
    if (birth) birth.value = parsed.birth;
    if (sex) sex.value = parsed.sex;
    say(input.dataset.msgOk);
  }

  document.querySelectorAll("input[data-idcard]").forEach(function (input) {
    input.addEventListener("input", function () { update(input); });
  });
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
