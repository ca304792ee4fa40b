"""The Taobao / Tmall connector over the Taobao Open Platform (TOP): a signed API client, seller OAuth,
catalogue sync windowed by modified time, TMC message polling through the shared inbox, and idempotent
publishing of AI-made pictures declared as such (``taobao.picture.qnaigc.upload``)."""
