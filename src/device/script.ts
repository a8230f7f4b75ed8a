// The device page's one script, served from /{tenant}/device/app.js under the page's CSP nonce. The
// page works without it (plain forms); with it a form is sent once however often it is clicked, and
// the list is live: a WebSocket to the user's inbox says when it changed and the list is fetched
// again (every 5 s while the socket is down), new requests are announced to screen readers, the
// countdowns tick and expired requests leave.
export const DEVICE_SCRIPT = `(()=>{
document.addEventListener('submit',e=>{const f=e.target;if(f.dataset.sent){e.preventDefault();return;}f.dataset.sent='1';
setTimeout(()=>{for(const b of f.querySelectorAll('button'))b.disabled=true;});});
const list=document.getElementById('requests'),say=document.getElementById('announce');
if(!list)return;
const ids=()=>new Set([...list.querySelectorAll('.request')].map(e=>e.dataset.requestId));
let known=ids(),poller=0;
const refresh=async()=>{try{const r=await fetch(list.dataset.list,{credentials:'same-origin',cache:'no-store'});
if(!r.ok)return;const focused=document.activeElement&&list.contains(document.activeElement);list.innerHTML=await r.text();
const now=ids(),fresh=[...now].filter(i=>!known.has(i));known=now;
if(fresh.length&&say)say.textContent=fresh.length===1?'A new request arrived.':fresh.length+' new requests arrived.';
if(focused&&fresh.length){const h=list.querySelector('[data-request-id="'+fresh[0]+'"] h2');if(h){h.tabIndex=-1;h.focus();}}}catch{}};
const connect=()=>{let ws;try{ws=new WebSocket(location.origin.replace(/^http/,'ws')+list.dataset.live);}catch{return fallback();}
ws.onopen=()=>{clearInterval(poller);poller=0;refresh();};ws.onmessage=refresh;ws.onclose=fallback;};
const fallback=()=>{if(!poller)poller=setInterval(refresh,5000);setTimeout(connect,15000);};
const tick=()=>{for(const t of list.querySelectorAll('.countdown')){const left=+t.dataset.expires-Date.now();
if(left<=0){t.closest('.request')?.remove();continue;}const s=Math.ceil(left/1000);t.textContent=Math.floor(s/60)+':'+String(s%60).padStart(2,'0');}
if(!list.querySelector('.request')&&!list.querySelector('p'))list.innerHTML='<p>No pending requests.</p>';};
setInterval(tick,1000);connect();
})();`;
