document.addEventListener('click', function (ev) {
  var a = ev.target && ev.target.closest ? ev.target.closest('a[href^="#src-"]') : null;
  if (!a) return;
  ev.preventDefault(); ev.stopPropagation();
  var card = document.getElementById(a.getAttribute('href').slice(1));
  if (!card) return;
  for (var p = card.parentElement; p; p = p.parentElement) { if (p.tagName === 'DETAILS') p.open = true; }
  card.scrollIntoView({behavior: 'smooth', block: 'start'});
  card.classList.remove('flash'); void card.offsetWidth; card.classList.add('flash');
}, true);
