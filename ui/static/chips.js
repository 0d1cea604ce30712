document.addEventListener('click', function (ev) {
  var x = ev.target && ev.target.closest ? ev.target.closest('a[href="#drop-dates"]') : null;
  if (!x) return;
  ev.preventDefault(); ev.stopPropagation();
  var b = document.getElementById('drop-dates');
  if (b && b.tagName !== 'BUTTON') b = b.querySelector('button');
  if (b) b.click();
}, true);
