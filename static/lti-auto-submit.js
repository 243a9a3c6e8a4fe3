// Sends a form marked data-auto-submit as soon as the page loads (the deep-linking response to the LMS).
document.querySelectorAll("form[data-auto-submit]").forEach(function (form) { form.submit(); });
