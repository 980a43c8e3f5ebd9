// Camera check-in: decode QR codes with jsQR (served locally, copied from the npm package
// jsqr 1.4.0, Apache-2.0) and post the token. Cameras need HTTPS or localhost.
(function () {
  var start = document.getElementById("qr-start");
  if (!start) return;
  start.addEventListener("click", function () {
    var video = document.getElementById("qr-video");
    var canvas = document.getElementById("qr-canvas");
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream; video.hidden = false; video.play(); start.hidden = true;
      function tick() {
        if (video.readyState === video.HAVE_ENOUGH_DATA) {
          canvas.width = video.videoWidth; canvas.height = video.videoHeight;
          ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
          var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
          var code = window.jsQR(img.data, img.width, img.height);
          if (code && code.data.indexOf("corridor-checkin/") === 0) {
            stream.getTracks().forEach(function (t) { t.stop(); });
            document.getElementById("qr-token").value = code.data;
            document.getElementById("qr-form").submit();
            return;
          }
        }
        requestAnimationFrame(tick);
      }
      requestAnimationFrame(tick);
    }).catch(function (err) { start.textContent = String(err); });
  });
})();
