-- wrk script: POST the seed page's body with the benchmark's API key
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_API_KEY")
wrk.body = '{"candidate_email":"jane.doe@lawfirm.com","candidate_name":"Jane Doe","scenario_id":"ma-due-diligence-v2","callback_url":"https://your-ats.example.com/webhooks/lextalent","metadata":{"requisition_id":"REQ-2026-0142","hiring_manager":"john.smith@lawfirm.com"}}'
